// What a session asks for, as `submit` and `budget estimate` take it on the command line:
// GPU, backend, timeout, cores, memory and a cost cap, read into a SubmitRequest.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "core/session/sessions.h"

namespace parhelia::cli {

// "90", "90s", "30m", "2h" -> seconds; nothing when unreadable.
std::optional<std::int64_t> parse_duration(const std::string& text);

struct ResourceOptions {
  std::string gpu;
  std::string backend = "local";
  std::string timeout = "1h";
  double cpu = 2;
  double memory_gib = 4;
  std::optional<double> max_cost;

  void add_to(CLI::App& command);
  // Fills the request, or says (as a sentence) which option is wrong.
  std::optional<std::string> apply(core::SubmitRequest& request) const;
};

}  // namespace parhelia::cli
