// `parhelia session screen ID` and `parhelia session send ID TEXT`: read and type into a
// session's terminal without attaching (what Claude Code does through the MCP tools).
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/session_output.h"
#include "cli/terminal_text.h"

namespace parhelia::cli {
namespace {

struct TerminalOptions {
  std::string id;
  std::string text;
  std::vector<std::string> keys;
  bool no_enter = false;
  bool json = false;
};

int screen(const TerminalOptions& o) {
  auto service = open_sessions();
  if (!service) return kExitFailed;
  auto screen = service->screen(o.id);
  if (!screen) return report(screen.error());
  if (o.json)
    print_json({{"session_id", o.id}, {"screen", screen.value()}});
  else
    std::cout << terminal_block(screen.value(), "");
  return kExitOk;
}

int send(const TerminalOptions& o) {
  auto service = open_sessions();
  if (!service) return kExitFailed;
  const core::Keystrokes keys{o.text, o.keys, !o.no_enter && !o.text.empty()};
  if (auto sent = service->send_keys(o.id, keys); !sent) return report(sent.error());
  if (o.json)
    print_json({{"session_id", o.id}, {"sent", true}});
  else
    std::cout << "Sent to " << o.id << "; `parhelia session screen " << o.id
              << "` shows what it did.\n";
  return kExitOk;
}

}  // namespace

void add_session_terminal_commands(CLI::App& session, int& exit_code) {
  auto o = std::make_shared<TerminalOptions>();
  auto* screen_command =
      session.add_subcommand("screen", "Print what a running session's terminal shows now");
  screen_command->add_option("session_id", o->id, "The session")->required();
  screen_command->add_flag("--json", o->json, "Print JSON");
  screen_command->callback([o, &exit_code] { exit_code = screen(*o); });

  auto* send_command = session.add_subcommand(
      "send", "Type into a running session's terminal, as a person attached to it would");
  send_command->add_option("session_id", o->id, "The session")->required();
  send_command->add_option("text", o->text, "Text to type (followed by Enter)");
  send_command->add_option("--key", o->keys,
                           "A key to press after the text, by tmux's name (C-c, Escape, Up, "
                           "y ...); repeatable");
  send_command->add_flag("--no-enter", o->no_enter, "Do not press Enter after the text");
  send_command->add_flag("--json", o->json, "Print JSON");
  send_command->callback([o, &exit_code] { exit_code = send(*o); });
}

}  // namespace parhelia::cli
