// The token side of a session's meter, from lines Claude Code really wrote (tests/fixtures,
// recorded against a stand-in API on 127.0.0.1): the ledger must equal what the API billed,
// priced at the list prices, to the micro-dollar.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "core/agent/agent_stream.h"
#include "core/agent/agent_transcript.h"
#include "core/budget/budget.h"
#include "core/budget/ledger.h"
#include "core/budget/meter.h"
#include "core/budget/rates.h"
#include "tests/support/expect.h"
#include "tests/support/temp_dir.h"

using namespace parhelia::core;
using parhelia::testing::fixture;
using parhelia::testing::read_file;
using parhelia::testing::TempDir;
using parhelia::testing::write_file;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Where Claude Code, run in /tmp/lx/w as the fixtures were, keeps the conversation.
fs::path transcript_in(const fs::path& home, const std::string& name) {
  return home / ".claude/projects/-tmp-lx-w" / name;
}

// A session's meter over a ledger of its own, its agent's HOME under `dir`.
struct MeterRig {
  TempDir dir;
  std::shared_ptr<Database> database = Database::open(dir.path()).value();
  Ledger ledger{database};
  Budget budget{database};
  Session session;
  fs::path home = dir.path() / "home";
  std::optional<TranscriptUsageReader> reader;
  std::optional<SessionMeter> meter;
  SessionMeter::Clock::time_point t0 = SessionMeter::Clock::now();

  MeterRig() {
    session.id = "task-00ed9e12";
    session.kind = SessionKind::task;
  }
  // Starts the meter as the supervisor does: the transcripts as they are now are inherited.
  void start() {
    fs::create_directories(home);
    reader.emplace(home);
    const TranscriptUsage restored = reader->read(true);
    meter.emplace(ledger, budget, session, RateTable::defaults(), std::vector<MeteredResource>{},
                  [](const BudgetAlert&) {});
    meter->follow_transcripts(*reader, restored);
    meter->start(t0);
  }
  void stream(const std::string& text, bool with_result = true) {
    for (const auto& line : lines_of(text)) {
      if (!with_result && line.find("\"type\":\"result\"") != std::string::npos) continue;
      if (auto update = read_agent_line(line)) meter->observe(*update);
    }
  }
  void finish() { meter->finish(t0 + std::chrono::seconds(3)); }
  Micros spend() { return ledger.session_spend(session.id).value(); }
  std::map<std::string, std::int64_t> tokens() {
    std::map<std::string, std::int64_t> by_resource;
    const auto resources = ledger.session_resources(session.id).value();
    for (const auto& r : resources) by_resource[r.resource] = r.quantity_milli / 1000;
    return by_resource;
  }
};

using Tokens = std::map<std::string, std::int64_t>;

}  // namespace

TEST_CASE("one model is one ledger name: the context-window suffix and a snapshot date go",
          "[unit][meter]") {
  CHECK(canonical_model("claude-opus-4-8[1m]") == "claude-opus-4-8");
  CHECK(canonical_model("claude-sonnet-4-5-20250929") == "claude-sonnet-4-5");
  CHECK(canonical_model("claude-sonnet-4-5-20250929[1m]") == "claude-sonnet-4-5");
  CHECK(canonical_model("claude-opus-5-5") == "claude-opus-5-5");
  CHECK(canonical_model("claude-3-5-haiku-latest") == "claude-3-5-haiku-latest");
  CHECK(canonical_model("[1m]") == "[1m]");
  CHECK(canonical_model("<synthetic>") == "<synthetic>");
  CHECK(canonical_model("") == "");
  // 2.1.332 names the model in canonicalModel; entries of one model add up.
  const auto result = read_agent_line(
      R"({"type":"result","subtype":"success","session_id":"s1","modelUsage":{)"
      R"("claude-opus-4-8[1m]":{"inputTokens":10,"outputTokens":1,"canonicalModel":"claude-opus-4-8"},)"
      R"("claude-opus-4-8":{"inputTokens":5,"outputTokens":2}}})");
  REQUIRE(result);
  REQUIRE(result->model_totals.size() == 1);
  CHECK(result->model_totals.at("claude-opus-4-8").input == 15);
  CHECK(result->model_totals.at("claude-opus-4-8").output == 3);
  CHECK(result->result->session_id == "s1");
}

TEST_CASE("Claude Code 2.1.197's default model is charged once, under one name", "[unit][meter]") {
  // Messages name claude-opus-4-8, the result's modelUsage claude-opus-4-8[1m]; the result
  // also counts the session-title request, which no transcript holds (msg_0001: 1001 in, 401
  // out). The API billed 3006 input and 1206 output tokens: $0.015030 + $0.030150.
  MeterRig rig;
  rig.start();
  write_file(transcript_in(rig.home, "e1475fe2-889f-4012-95c6-f2a0cad4323c.jsonl"),
             fixture("claude-2.1.197-default-model-transcript.jsonl"));
  rig.stream(fixture("claude-2.1.197-default-model-stream.jsonl"));
  rig.finish();
  CHECK(rig.tokens() ==
        Tokens{{"tokens:claude-opus-4-8:input", 3006}, {"tokens:claude-opus-4-8:output", 1206}});
  CHECK(rig.spend() == 45'180);
}

TEST_CASE("a session stopped before its result is charged each message's final usage",
          "[unit][meter]") {
  // The stream's assistant lines carry output_tokens 1 (the response's start); the transcript
  // the final count: msg_0002 1002/402 and msg_0003 1003/403.
  MeterRig rig;
  rig.start();
  rig.stream(fixture("claude-2.1.197-default-model-stream.jsonl"), /*with_result=*/false);
  SECTION("the transcript is read at the end") {
    write_file(transcript_in(rig.home, "e1475fe2-889f-4012-95c6-f2a0cad4323c.jsonl"),
               fixture("claude-2.1.197-default-model-transcript.jsonl"));
    rig.finish();
    CHECK(rig.tokens() ==
          Tokens{{"tokens:claude-opus-4-8:input", 2005}, {"tokens:claude-opus-4-8:output", 805}});
    CHECK(rig.spend() == 2005 * 5 + 805 * 25);
  }
  SECTION("and as the work runs, so the watchdog sees a completed message at once") {
    rig.meter->tick(rig.t0 + std::chrono::seconds(1));
    CHECK(rig.tokens().at("tokens:claude-opus-4-8:output") == 2);
    write_file(transcript_in(rig.home, "e1475fe2-889f-4012-95c6-f2a0cad4323c.jsonl"),
               fixture("claude-2.1.197-default-model-transcript.jsonl"));
    rig.meter->tick(rig.t0 + std::chrono::seconds(2));
    CHECK(rig.tokens().at("tokens:claude-opus-4-8:output") == 805);
  }
}

TEST_CASE("a resume with Claude Code 2.1.197 charges the new run, not the conversation",
          "[unit][meter]") {
  // The restored transcript holds the parent's messages; 2.1.197 appends to it, and its
  // modelUsage (now without [1m]) counts the new run: 2025 in, 825 out, $0.030750.
  MeterRig rig;
  const auto transcript = transcript_in(rig.home, "e1475fe2-889f-4012-95c6-f2a0cad4323c.jsonl");
  write_file(transcript, fixture("claude-2.1.197-default-model-transcript.jsonl"));
  rig.start();
  write_file(transcript, fixture("claude-2.1.197-resume-transcript.jsonl"));
  SECTION("to its result") {
    rig.stream(fixture("claude-2.1.197-resume-stream.jsonl"));
    rig.finish();
    CHECK(rig.tokens() ==
          Tokens{{"tokens:claude-opus-4-8:input", 2025}, {"tokens:claude-opus-4-8:output", 825}});
    CHECK(rig.spend() == 30'750);
  }
  SECTION("stopped before it") {
    rig.stream(fixture("claude-2.1.197-resume-stream.jsonl"), /*with_result=*/false);
    rig.finish();
    CHECK(rig.spend() == 30'750);
  }
}

TEST_CASE("a resume with Claude Code 2.1.332 subtracts the restored cost-state", "[unit][meter]") {
  // 2.1.332 restores the parent's totals from the transcript's cost-state line (2029 in, 829
  // out) and its result's modelUsage covers the whole conversation (4062, 1662). The API billed
  // the new run 2033 in and 833 out: at claude-opus-5-5's $4 and $20 per million, $0.024792.
  MeterRig rig;
  const auto transcript = transcript_in(rig.home, "6db17472-baae-49e3-a8c0-ed5558a0cd5f.jsonl");
  write_file(transcript, fixture("claude-2.1.332-parent-transcript.jsonl"));
  rig.start();
  write_file(transcript, fixture("claude-2.1.332-resume-transcript.jsonl"));
  rig.stream(fixture("claude-2.1.332-resume-stream.jsonl"));
  rig.finish();
  CHECK(rig.tokens() ==
        Tokens{{"tokens:claude-opus-5-5:input", 2033}, {"tokens:claude-opus-5-5:output", 833}});
  CHECK(rig.spend() == 24'792);
}

TEST_CASE("the transcript reader takes each line once, whole, and only what the bounds allow",
          "[unit][meter]") {
  TempDir dir;
  const fs::path home = dir.path();
  const auto file = home / ".claude/projects/-w/s.jsonl";
  const std::string message =
      R"({"type":"assistant","message":{"id":"m1","model":"claude-haiku-4-5","usage":{"input_tokens":7,"output_tokens":9}}})";
  TranscriptUsageReader reader(home, TranscriptReadLimits{.bytes_per_read = 64});
  CHECK(reader.read().messages.empty());  // nothing yet: no HOME/.claude
  write_file(file, message.substr(0, 50));
  CHECK(reader.read(true).messages.empty());  // a line still being written is not a line
  { std::ofstream(file, std::ios::app) << message.substr(50) << "\n" << message << "\n"; }
  // At most 64 bytes a read: the rest comes on the next ones.
  std::size_t seen = 0;
  for (int i = 0; i < 10; ++i) seen += reader.read().messages.size();
  CHECK(seen == 2);
  CHECK(reader.read(true).messages.empty());  // each once
  // A subagent's transcript one level down is followed too.
  write_file(home / ".claude/projects/-w/s/subagents/agent-1.jsonl", message + "\n");
  const auto below = reader.read(true);
  REQUIRE(below.messages.size() == 1);
  CHECK(below.messages[0].model == "claude-haiku-4-5");
  CHECK(below.messages[0].tokens.output == 9);
}

TEST_CASE("the transcript reader follows no link, waits on no FIFO and skips what is not usage",
          "[unit][meter][hostile]") {
  TempDir dir;
  const fs::path home = dir.path() / "home";
  const fs::path outside = dir.path() / "outside";
  const std::string forged =
      R"({"type":"assistant","message":{"id":"forged","model":"m","usage":{"output_tokens":5}}})";
  write_file(outside / "x.jsonl", forged + "\n");
  fs::create_directories(home / ".claude/projects/-w");
  fs::create_symlink(outside / "x.jsonl", home / ".claude/projects/-w/link.jsonl");
  fs::create_directory_symlink(outside, home / ".claude/projects/-linked");
  REQUIRE(::mkfifo((home / ".claude/projects/-w/fifo.jsonl").c_str(), 0600) == 0);
  const std::string deep(200, '[');
  write_file(
      home / ".claude/projects/-w/s.jsonl",
      "not json \"assistant\"\n" + deep + "\"assistant\"\n" +
          R"({"type":"assistant","message":{"id":7,"usage":{"output_tokens":5}}})"
          "\n" +
          R"({"type":"cost-state","sessionId":"../x","modelUsage":{}})"
          "\n" +
          "{\"a\":\"" + std::string(kMaxAgentLineBytes + 10, 'a') + "\"assistant\"}\n" +
          R"({"type":"assistant","message":{"id":"real","model":"m","usage":{"output_tokens":3}}})"
          "\n" +
          "\xff\xfe\n");
  TranscriptUsage usage;
  REQUIRE_NOTHROW(usage = TranscriptUsageReader(home).read(true));
  REQUIRE(usage.messages.size() == 1);
  CHECK(usage.messages[0].message_id == "real");
  CHECK(usage.cost_states.empty());
  // HOME's own .claude as a link is not taken either.
  const fs::path home2 = dir.path() / "home2";
  fs::create_directories(home2);
  write_file(outside / "projects/-w/s.jsonl", forged + "\n");
  fs::create_directory_symlink(outside, home2 / ".claude");
  CHECK(TranscriptUsageReader(home2).read(true).messages.empty());
}
