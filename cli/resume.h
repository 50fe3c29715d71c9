// `parhelia session resume` and `parhelia checkpoint restore`: one new session that carries on
// from a checkpoint, with the options both take.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

namespace parhelia::cli {

struct ResumeOptions {
  std::string session_id;
  std::string checkpoint_id;
  std::string prompt;
  std::optional<std::string> gpu;
  std::optional<std::string> timeout;
  std::optional<double> cpu;
  std::optional<double> memory_gib;
  std::optional<double> max_cost;
  bool yes = false;
  bool json = false;
};

// The options after the session or checkpoint argument.
void add_resume_options(CLI::App& command, ResumeOptions& options);
int run_resume(const ResumeOptions& options);

}  // namespace parhelia::cli
