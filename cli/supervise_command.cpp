// `parhelia __supervise ID`: the supervisor of a session, in the process its backend's launch
// started (see core/service/supervision.h), and `parhelia __checkpoint ID [TOKEN] [--trigger T]`: a
// checkpoint in a process of its own (see core/checkpoints/checkpoint_job.h), or of a session whose
// supervisor has ended. Hidden from --help: people never run them themselves.
#include "cli/commands.h"
#include "cli/composition.h"
#include "cli/logging.h"
#include "core/base/environment.h"
#include "core/service/supervision.h"

namespace parhelia::cli {

void add_supervise_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("__supervise", "Run one session's supervisor (internal)");
  command->group("");
  auto id = std::make_shared<std::string>();
  command->add_option("session_id", *id)->required();
  command->callback([id, &exit_code] {
    exit_code = core::supervise(core::parhelia_home(), *id, sessions_backends());
  });

  auto* helper = app.add_subcommand("__checkpoint", "Checkpoint a session (internal)");
  helper->group("");
  auto helper_id = std::make_shared<std::string>();
  auto token = std::make_shared<std::string>();
  auto trigger = std::make_shared<std::string>("manual");
  helper->add_option("session_id", *helper_id)->required();
  helper->add_option("token", *token, "The request to answer (none: nobody waits for it)");
  helper->add_option("--trigger", *trigger, "Why it is taken");
  helper->callback([helper_id, token, trigger, &exit_code] {
    exit_code = core::checkpoint_session(
        core::parhelia_home(), *helper_id, *token,
        core::parse_checkpoint_trigger(*trigger).value_or(core::CheckpointTrigger::manual),
        sessions_backends());
  });
}

}  // namespace parhelia::cli
