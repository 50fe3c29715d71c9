// parhelia: run Claude Code work remotely. `parhelia mcp` is the MCP server Claude Code starts;
// the other subcommands are the same operations for a terminal.
#include <csignal>
#include <iostream>

#include "cli/commands.h"
#include "cli/logging.h"
#include "core/version.h"

int main(int argc, char** argv) {
  // A peer that goes away must surface as EPIPE on write, never kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  parhelia::cli::configure_logging({});

  CLI::App app{
      "Parhelia runs Claude Code tasks and commands in remote containers or sandboxed on this "
      "machine.",
      "parhelia"};
  app.set_version_flag("--version", parhelia::core::kVersion);
  app.require_subcommand(1);
  int exit_code = parhelia::cli::kExitOk;
  parhelia::cli::add_submit_command(app, exit_code);
  parhelia::cli::add_status_command(app, exit_code);
  parhelia::cli::add_session_command(app, exit_code);
  parhelia::cli::add_budget_command(app, exit_code);
  parhelia::cli::add_checkpoint_command(app, exit_code);
  parhelia::cli::add_attach_command(app, exit_code);
  parhelia::cli::add_mcp_command(app, exit_code);
  parhelia::cli::add_supervise_command(app, exit_code);
  parhelia::cli::add_doctor_command(app, exit_code);
  parhelia::cli::add_skills_command(app, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? parhelia::cli::kExitOk : parhelia::cli::kExitUsage;
  }
  return exit_code;
}
