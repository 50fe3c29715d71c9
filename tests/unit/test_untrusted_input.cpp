// What a session writes reaches Parhelia as hostile input: the agent's stream-json lines, the
// names of its files, the text it is started with. Each is read without throwing, stored
// without loss, or refused with a sentence.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/agent/agent_stream.h"
#include "core/checkpoints/checkpoint_file.h"
#include "core/checkpoints/checkpointer.h"
#include "core/base/process_argument.h"
#include "core/session/session_files.h"
#include "core/base/sha256.h"
#include "core/base/untrusted_json.h"
#include "core/base/utf8.h"
#include "core/workspace/workspace.h"
#include "tests/support/session_fixture.h"
#include "tests/support/temp_dir.h"
#include "tests/support/workspace_fixture.h"

using namespace parhelia::core;
using parhelia::testing::GitWorkspace;
using parhelia::testing::ParheliaHome;
using parhelia::testing::TempDir;
namespace fs = std::filesystem;

namespace {

std::string nested(const std::string& open, const std::string& close, int depth) {
  std::string text;
  for (int i = 0; i < depth; ++i) text += open;
  for (int i = 0; i < depth; ++i) text += close;
  return text;
}

// read_agent_line, which must never throw: a throw here ends the supervisor.
std::optional<AgentUpdate> read(const std::string& line) {
  std::optional<AgentUpdate> update;
  REQUIRE_NOTHROW(update = read_agent_line(line));
  return update;
}

}  // namespace

TEST_CASE("stream-json fields of the wrong type are ignored, never thrown", "[unit][agent]") {
  // The session id as a number: no id is taken, the line still says the agent started.
  const auto init = read(R"({"type":"system","subtype":"init","session_id":12345})");
  REQUIRE(init);
  CHECK_FALSE(init->claude_session_id);
  CHECK(init->activity == "started (model ?)");
  // An id that is no plain token (it becomes an argument and a file name) is not taken.
  CHECK_FALSE(
      read(R"({"type":"system","subtype":"init","session_id":"../../x"})")->claude_session_id);
  CHECK(read(R"({"type":"system","subtype":"init","session_id":"ec072e27-aec6-45d4"})")
            ->claude_session_id == "ec072e27-aec6-45d4");

  // is_error as a string: the subtype decides.
  const auto result =
      read(R"({"type":"result","subtype":"success","is_error":"no","result":"ok"})");
  REQUIRE(result);
  REQUIRE(result->result);
  CHECK_FALSE(result->result->is_error);
  CHECK(result->result->text == "ok");
  CHECK(read(R"({"type":"result","subtype":"error_max_turns","is_error":"no"})")->result->is_error);
  // The answer as an array, usage as a list, models as a string, counts of every wrong kind.
  const auto odd = read(R"({"type":"result","subtype":"success","result":[1,2],"modelUsage":"m",)"
                        R"("usage":[1]})");
  REQUIRE(odd);
  CHECK(odd->result->text.empty());
  CHECK(odd->model_totals.empty());
  const auto counts =
      read(R"({"type":"result","subtype":"success","modelUsage":{"m":{"inputTokens":-5,)"
           R"("outputTokens":"9","cacheReadInputTokens":1.5,"cacheCreationInputTokens":)"
           R"(18446744073709551615},"n":7}})");
  REQUIRE(counts);
  REQUIRE(counts->model_totals.size() == 1);
  const TokenCounts m = counts->model_totals.at("m");
  CHECK(m.input == 0);  // a negative count would be a credit
  CHECK(m.output == 0);
  CHECK(m.cache_read == 0);
  CHECK(m.cache_write > 0);  // capped, not wrapped to a negative number
  CHECK(m.cache_write <= std::int64_t{1} << 40);

  for (
      const char* line : {
          R"({"type":7})",
          R"({"type":"assistant","message":"text"})",
          R"({"type":"assistant","message":{"content":"text","usage":[1]}})",
          R"({"type":"assistant","message":{"content":[1,"a",null,{"type":5}]}})",
          R"({"type":"assistant","message":{"content":[{"type":"tool_use","name":{},"input":[]}]}})",
          R"({"type":"assistant","message":{"id":1,"model":[],"usage":{"input_tokens":"x"}}})",
          R"({"type":"assistant","error":{"code":1}})",
          R"({"type":"system","subtype":"api_retry","attempt":"one","max_retries":1e300})",
          R"({"type":"system","subtype":"init","model":{"name":"x"}})",
          R"({"type":"result","subtype":["success"],"is_error":null,"result":{"a":1}})",
          R"({"type":"result","subtype":"success","x":1e400})",
          "{\"type\":\"result\",\"result\":\"caf\xe9\"}",  // not UTF-8: not JSON
          "[\"type\",\"result\"]",
          "\"type\"",
          "",
      }) {
    INFO(line);
    (void)read(line);
  }
  // Every prefix of a real line, as a stream cut anywhere would give.
  const std::string real =
      R"({"type":"assistant","message":{"id":"m1","model":"claude","content":[{"type":"tool_use",)"
      R"("name":"Bash","input":{"command":"make"}}],"usage":{"input_tokens":3,"output_tokens":4}}})";
  for (std::size_t n = 0; n <= real.size(); ++n) (void)read(real.substr(0, n));
  CHECK(read(real)->usage->tokens.output == 4);
}

TEST_CASE("deep or huge stream-json lines are not read and cost one pass", "[unit][agent]") {
  // 100,000 nested arrays inside "result": dumping that recursively overflows the stack.
  const std::string deep =
      R"({"type":"result","subtype":"success","result":)" + nested("[", "]", 100'000) + "}";
  CHECK_FALSE(read(deep));
  CHECK_FALSE(read(R"({"type":"assistant","message":)" + nested("{\"a\":", "}", 50'000) + "}"));
  // Brackets inside strings are text, not depth.
  const auto brackets = read(R"({"type":"result","subtype":"success","result":")" +
                             nested("[", "]", 10'000) + R"("})");
  REQUIRE(brackets);
  CHECK(brackets->result->text.size() == 20'000);
  // A line over the cap is not parsed at all.
  const std::string huge = R"({"type":"result","subtype":"success","result":")" +
                           std::string(kMaxAgentLineBytes, 'x') + R"("})";
  CHECK_FALSE(read(huge));
}

TEST_CASE("nesting is measured without parsing, strings and escapes aside", "[unit][agent]") {
  CHECK(nests_within("[[[]]]", 3));
  CHECK_FALSE(nests_within("[[[]]]", 2));
  CHECK(nests_within(R"(["[[[[", "\"[[[["])", 1));
  CHECK_FALSE(nests_within(R"({"a":"\\",[[]]})", 2));
  CHECK_FALSE(parse_untrusted_json("[1e400]", {1024, 4}));
  CHECK(parse_untrusted_json(R"({"a":[1]})", {1024, 4})->at("a")[0] == 1);
}

TEST_CASE("UTF-8 is told from other bytes, and hex carries the bytes back", "[unit][utf8]") {
  CHECK(is_utf8("café ☕ 🚀"));
  CHECK_FALSE(is_utf8("caf\xe9.txt"));
  CHECK_FALSE(is_utf8("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(is_utf8("\xed\xa0\x80"));      // a surrogate
  CHECK_FALSE(is_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  CHECK_FALSE(is_utf8("\xe2\x82"));          // cut short
  CHECK(utf8_lossy("caf\xe9.txt") == "caf\xEF\xBF\xBD.txt");
  std::string bytes;
  REQUIRE(bytes_of_hex(hex_of("caf\xe9"), bytes));
  CHECK(bytes == "caf\xe9");
  const std::string with_nul("a\0\xff", 3);
  REQUIRE(bytes_of_hex(hex_of(with_nul), bytes));
  CHECK(bytes == with_nul);
  CHECK_FALSE(bytes_of_hex("abc", bytes));
  CHECK_FALSE(bytes_of_hex("zz", bytes));
}

TEST_CASE("a checkpoint manifest keeps names that are not UTF-8 byte for byte",
          "[unit][checkpoints]") {
  TempDir dir;
  const std::string name = "transcript/caf\xe9.jsonl";
  std::ofstream(dir.path() / "part", std::ios::binary) << "the bytes";
  nlohmann::json manifest = {
      {"format", 1},
      {"changes",
       {{{"path", "caf\xe9.txt"}, {"status", "A"}}, {{"path", "plain.txt"}, {"status", "M"}}}},
      {"names", {"ok", "bad\xff"}}};
  auto stored =
      write_checkpoint_file(dir.path() / "store", manifest, {{name, dir.path() / "part"}});
  REQUIRE(stored);
  auto read_back = read_checkpoint_manifest(stored->path);
  REQUIRE(read_back);
  const auto& changes = read_back.value()["changes"];
  CHECK(changes[0]["path"].get<std::string>() == "caf\xe9.txt");
  CHECK_FALSE(changes[0].contains("path_hex"));
  CHECK(changes[1]["path"].get<std::string>() == "plain.txt");
  CHECK(read_back.value()["names"][1].get<std::string>() == "bad\xff");
  CHECK(read_back.value()["parts"][0]["name"].get<std::string>() == name);
  REQUIRE(extract_checkpoint_part(stored->path, name, dir.path() / "out"));
  CHECK(parhelia::testing::read_file(dir.path() / "out") == "the bytes");
  // Plain names stay readable in the file; the odd one is readable too, and exact in hex.
  const std::string file = parhelia::testing::read_file(stored->path);
  CHECK(file.find(R"("path":"plain.txt")") != std::string::npos);
  CHECK(file.find("\"path\":\"caf\xEF\xBF\xBD.txt\"") != std::string::npos);
  CHECK(file.find(R"("path_hex":")" + hex_of("caf\xe9.txt") + "\"") != std::string::npos);
}

TEST_CASE("a workspace file whose name is not UTF-8 survives checkpoint and restore",
          "[unit][checkpoints]") {
  ParheliaHome home;
  GitWorkspace origin;
  auto database = Database::open(home.path());
  REQUIRE(database);
  auto store = Store::over(database.value()).value();
  const Session s =
      parhelia::testing::started_session(*store, home.path(), origin.path(), SessionKind::task);
  const SessionFiles files = SessionFiles::of(home.path(), s.id);
  const std::string name = "caf\xe9.txt";
  std::ofstream(files.workspace / name, std::ios::binary) << "latin-1 name\n";

  Checkpointer checkpointer(home.path(), database.value());
  auto taken = checkpointer.take(s.id, CheckpointTrigger::manual);
  INFO((taken ? std::string() : taken.error().sentence()));
  REQUIRE(taken);
  CHECK(taken->checkpoint.changed_files == 1);

  Session resumed;
  resumed.id = new_session_id();
  resumed.restore_from = taken->checkpoint.id;
  auto restored = checkpointer.restore(resumed);
  INFO((restored ? std::string() : restored.error().sentence()));
  REQUIRE(restored);
  const fs::path copy = SessionFiles::of(home.path(), resumed.id).workspace;
  CHECK(parhelia::testing::read_file(copy / name) == "latin-1 name\n");
}

TEST_CASE("text that cannot be one argument of a process is refused with what to do",
          "[unit][sessions]") {
  CHECK_FALSE(argument_problem("The command", "make test"));
  CHECK_FALSE(argument_problem("The command", std::string(kMaxArgumentBytes, 'x')));
  static_assert(kMaxArgumentBytes < 131072, "below MAX_ARG_STRLEN, its NUL included");
  const auto nul = argument_problem("The command", std::string("echo ok\0rm -rf ~", 16));
  REQUIRE(nul);
  CHECK(nul->code == ErrorCode::invalid_input);
  CHECK(nul->message.find("NUL byte (at byte 7)") != std::string::npos);
  const auto long_one = argument_problem("The task", std::string(200 * 1024, 'x'));
  REQUIRE(long_one);
  CHECK(long_one->message.find("204800 bytes") != std::string::npos);
  CHECK_FALSE(long_one->hint.empty());
  CHECK(path_problem("The workspace path", std::string("/tmp/a\0b", 8)));
  CHECK_FALSE(path_problem("The workspace path", "/tmp/a b"));
}
