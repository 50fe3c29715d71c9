// `parhelia attach ID [--read-only] [--info]`: step into a session's terminal. The system's
// own ssh or tmux takes over this process (exec), so the user's terminal, agent and ssh
// config apply exactly as they would by hand.
#include <unistd.h>

#include <cstring>
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/session_output.h"
#include "core/views/attach_view.h"

namespace parhelia::cli {
namespace {

struct AttachOptions {
  std::string id;
  bool read_only = false;
  bool info = false;
  bool json = false;
};

int attach(const AttachOptions& o) {
  auto service = open_sessions();
  if (!service) return kExitFailed;
  auto info = service->attach_info(o.id);
  if (!info) return report(info.error());
  const views::AttachView view = views::attach_view(info.value());
  if (o.info || o.json) {
    if (o.json)
      print_json(schema::encode(view));
    else
      std::cout << views::to_text(view) << "\n";
    return kExitOk;
  }
  if (!info->reachable) {
    print_error(info->reachability);
    return kExitFailed;
  }
  if (!::isatty(STDIN_FILENO) || !::isatty(STDOUT_FILENO)) {
    print_error("attach needs a terminal; without one, `parhelia session screen " + o.id +
                "` prints the screen and `parhelia session send " + o.id + " TEXT` types into it.");
    return kExitUsage;
  }
  const auto& argv = o.read_only ? info->watch : info->attach;
  std::cerr << "parhelia: attaching to " << o.id << (o.read_only ? " (watching only)" : "") << "; "
            << core::kDetachKeys << " detaches and leaves it running.\n";
  // Parhelia's tmux servers are not the user's: attaching from inside the user's own tmux is
  // intended, and tmux would refuse it with $TMUX set.
  ::unsetenv("TMUX");
  std::vector<char*> args;
  for (const auto& word : argv) args.push_back(const_cast<char*>(word.c_str()));
  args.push_back(nullptr);
  ::execvp(args[0], args.data());
  print_error("cannot run " + argv.front() + ": " + std::strerror(errno) +
              (argv.front() == "ssh" ? " (apt-get install openssh-client)" : ""));
  return kExitFailed;
}

}  // namespace

void add_attach_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand(
      "attach",
      "Step into a session's terminal (tmux here, ssh for remote ones); Ctrl-b d "
      "detaches and leaves it running");
  auto o = std::make_shared<AttachOptions>();
  command->add_option("session_id", o->id, "The session")->required();
  command->add_flag("--read-only", o->read_only, "Watch only: keys typed are not sent");
  command->add_flag("--info", o->info,
                    "Print how to attach and whether it answers now, without attaching");
  command->add_flag("--json", o->json, "With --info: print JSON (what attach_info returns)");
  command->callback([o, &exit_code] { exit_code = attach(*o); });
}

}  // namespace parhelia::cli
