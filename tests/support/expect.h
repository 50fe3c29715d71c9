// Small assertions the end-to-end tests share (Catch2, header-only: the benchmarks link the
// support library without it).
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/cli_runner.h"
#include "tests/support/mcp_client.h"

namespace parhelia::testing {

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
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
