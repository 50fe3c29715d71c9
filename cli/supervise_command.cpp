// `parhelia __supervise ID`: what tmux runs for a local session (see core/supervisor.h).
// Hidden from --help: people never run it themselves.
#include "cli/commands.h"
#include "cli/logging.h"
#include "core/environment.h"
#include "core/supervisor.h"

namespace parhelia::cli {

void add_supervise_command(CLI::App& app, int& exit_code) {
  auto* command =
      app.add_subcommand("__supervise", "Run one local session's supervisor (internal)");
  command->group("");
  auto id = std::make_shared<std::string>();
  command->add_option("session_id", *id)->required();
  command->callback([id, &exit_code] { exit_code = core::supervise(core::parhelia_home(), *id); });
}

}  // namespace parhelia::cli
