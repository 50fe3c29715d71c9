// What a session asks for, as `submit`, `budget estimate`, `checkpoint restore` and `session
// resume` take it on the command line: GPU, backend, timeout, cores, memory and a cost cap,
// read into a new session's request or into a resume's overrides.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "core/service/sessions.h"

namespace parhelia::cli {

// "90", "90s", "30m", "2h" -> seconds; nothing when unreadable.
std::optional<std::int64_t> parse_duration(const std::string& text);

struct ResourceOptions {
  // What the options mean, which their help says: a new session's resources (submit and
  // budget estimate, which also take --backend), or a resumed one's, where each option left
  // out keeps the session's own (its backend too).
  enum class Use { submit, estimate, resume };

  std::optional<std::string> gpu;
  std::string backend;  // "": the configured default
  std::optional<std::string> timeout;
  std::optional<double> cpu;
  std::optional<double> memory_gib;
  std::optional<double> max_cost;

  void add_to(CLI::App& command, Use use);
  // Fills the request, or says (as a sentence) which option is wrong.
  std::optional<std::string> apply(core::SubmitRequest& request) const;
  std::optional<std::string> apply(core::ResumeRequest& request) const;
};

}  // namespace parhelia::cli
