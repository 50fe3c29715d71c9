// Small assertions the end-to-end tests share (Catch2, header-only: the benchmarks link the
// support library without it).
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/cli_runner.h"
#include "tests/support/mcp_client.h"

namespace parhelia::testing {

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Polls `ready` every 100 ms until it holds; false after `tenths` tries (30 s by default).
template <class Ready>
bool eventually(Ready ready, int tenths = 300) {
  for (int i = 0; i < tenths; ++i) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// Runs a CLI command with --json, which must succeed, and returns what it printed.
inline nlohmann::json run_json(const Cli& cli, std::vector<std::string> args,
                               const std::string& cwd = "") {
  args.push_back("--json");
  const auto run = cli.run(args, cwd);
  INFO(run.out << run.err);
  REQUIRE(run.exit_status == 0);
  return nlohmann::json::parse(run.out);
}

// Waits for a session to end (`session logs -f` returns then) and returns `session show`.
inline nlohmann::json wait_for_end(const Cli& cli, const std::string& id) {
  cli.run({"session", "logs", id, "-f"});
  return run_json(cli, {"session", "show", id});
}

// Waits up to 30 s for a session to reach `state` (`session show`), which it must.
inline void wait_for_state(const Cli& cli, const std::string& id, const std::string& state) {
  std::string seen;
  for (int i = 0; i < 300 && seen != state; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    seen = run_json(cli, {"session", "show", id})["state"].get<std::string>();
  }
  INFO("session " << id << " is " << seen);
  REQUIRE(seen == state);
}

// The same through the status tool; returns the session as status shows it then.
inline nlohmann::json wait_for_state(McpClient& client, const std::string& id,
                                     const std::string& state) {
  nlohmann::json session = nlohmann::json::object();
  for (int i = 0; i < 300 && session.value("state", "") != state; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    session = client.call_tool("status", {{"session_id", id}})["structuredContent"]["session"];
  }
  INFO("session " << id << " is " << session.value("state", "?"));
  REQUIRE(session["state"] == state);
  return session;
}

// Whether a JSON array holds this string.
inline bool has(const nlohmann::json& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// The text of a tool result's first content item.
inline std::string text_of(const nlohmann::json& result) {
  return result["content"][0]["text"].get<std::string>();
}

// A file under tests/fixtures, which must be there.
inline std::string fixture(const std::string& name) {
  const std::string text =
      read_file(std::filesystem::path(PARHELIA_SOURCE_DIR) / "tests/fixtures" / name);
  REQUIRE_FALSE(text.empty());
  return text;
}

// The next message from the server, which must come within 5 s.
inline nlohmann::json next_answer(McpClient& client) {
  auto message = client.next(std::chrono::seconds(5));
  REQUIRE(message);
  return *message;
}

// The server still answers a ping.
inline void still_serves(McpClient& client) {
  CHECK(client.request("ping")["result"] == nlohmann::json::object());
}

// The elicitation/create request the server sends while a call waits for the user.
inline nlohmann::json next_elicitation(McpClient& client) {
  nlohmann::json asked;
  for (int i = 0; i < 50 && asked.is_null(); ++i) {
    auto message = client.next(std::chrono::seconds(5));
    REQUIRE(message);
    if (message->value("method", "") == "elicitation/create") asked = *message;
  }
  REQUIRE_FALSE(asked.is_null());
  return asked;
}

}  // namespace parhelia::testing
