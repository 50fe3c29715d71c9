// The terminal front end: each subcommand of `parhelia` is added by one function, and reports
// its exit code (0 ok, 1 the operation failed, 2 usage error) through `exit_code`.
#pragma once

#include <CLI/CLI.hpp>

namespace parhelia::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

void add_mcp_command(CLI::App& app, int& exit_code);
void add_doctor_command(CLI::App& app, int& exit_code);
void add_skills_command(CLI::App& app, int& exit_code);
void add_submit_command(CLI::App& app, int& exit_code);
void add_status_command(CLI::App& app, int& exit_code);
void add_session_command(CLI::App& app, int& exit_code);
// `session screen` and `session send`, added to the session command.
void add_session_terminal_commands(CLI::App& session, int& exit_code);
void add_budget_command(CLI::App& app, int& exit_code);
void add_checkpoint_command(CLI::App& app, int& exit_code);
void add_attach_command(CLI::App& app, int& exit_code);
void add_supervise_command(CLI::App& app, int& exit_code);

}  // namespace parhelia::cli
