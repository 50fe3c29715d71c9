// `parhelia session resume` and `parhelia checkpoint restore`: one new session that carries on
// from a checkpoint, with the options both take.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "cli/resource_options.h"

namespace parhelia::cli {

struct ResumeOptions {
  std::string session_id;
  std::string checkpoint_id;
  std::string prompt;
  ResourceOptions resources;
  bool yes = false;
  bool json = false;
};

// The options after the session or checkpoint argument.
void add_resume_options(CLI::App& command, ResumeOptions& options);
int run_resume(const ResumeOptions& options);

}  // namespace parhelia::cli
