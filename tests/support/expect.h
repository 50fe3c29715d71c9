// Small assertions the end-to-end tests share (Catch2, header-only: the benchmarks link the
// support library without it).
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/cli_runner.h"

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

}  // namespace parhelia::testing
