#include "core/terminal/terminal.h"

#include <algorithm>

namespace parhelia::core {
namespace {

bool is_key_name(const std::string& key) {
  return !key.empty() && key.size() <= 16 && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

std::vector<std::string> tmux(const TmuxTarget& target) {
  if (target.socket.empty()) return {"tmux"};
  return {"tmux", "-S", target.socket};
}

}  // namespace

std::optional<Error> check_keystrokes(const Keystrokes& keys) {
  if (keys.text.empty() && keys.keys.empty() && !keys.enter)
    return invalid("There is nothing to send.", "Give the text to type, or keys such as C-c.");
  if (keys.text.size() > kMaxKeystrokeText)
    return invalid("The text to send is " + std::to_string(keys.text.size()) + " bytes long.",
                   "Send at most " + std::to_string(kMaxKeystrokeText) + " bytes at a time.");
  if (keys.text.find('\0') != std::string::npos)
    return invalid("The text to send holds a NUL byte.", "Send text without NUL bytes.");
  if (keys.keys.size() > kMaxKeys)
    return invalid("Too many keys to send at once.",
                   "Send at most " + std::to_string(kMaxKeys) + " keys at a time.");
  for (const auto& key : keys.keys) {
    if (!is_key_name(key))
      return invalid("'" + key + "' is not a key name.",
                     "Use tmux's key names: C-c, C-d, Enter, Escape, Tab, BSpace, Up, Down, "
                     "Left, Right, y, F1 ...");
  }
  return std::nullopt;
}

std::vector<std::string> tmux_attach_argv(const TmuxTarget& target, bool read_only) {
  auto argv = tmux(target);
  argv.push_back("attach");
  if (read_only) argv.push_back("-r");
  argv.insert(argv.end(), {"-t", target.session});
  return argv;
}

std::vector<std::string> tmux_capture_argv(const TmuxTarget& target) {
  auto argv = tmux(target);
  argv.insert(argv.end(), {"capture-pane", "-p", "-t", target.session});
  return argv;
}

std::vector<std::string> tmux_send_argv(const TmuxTarget& target, const Keystrokes& keys) {
  auto argv = tmux(target);
  bool first = true;
  auto command = [&](std::vector<std::string> words) {
    if (!first) argv.push_back(";");
    first = false;
    argv.insert(argv.end(), words.begin(), words.end());
  };
  // -l: the text is typed as it is, never read as key names; -- ends the options, so a text
  // that starts with '-' is text too.
  if (!keys.text.empty()) {
    // tmux ends a command at any argument ending in ';' unless it ends in "\;" (which it
    // turns back into ';'): a text ending in ';' is written so.
    std::string text = keys.text;
    if (text.back() == ';') text.insert(text.size() - 1, "\\");
    command({"send-keys", "-t", target.session, "-l", "--", text});
  }
  for (const auto& key : keys.keys) command({"send-keys", "-t", target.session, key});
  if (keys.enter) command({"send-keys", "-t", target.session, "Enter"});
  return argv;
}

std::string trim_screen(std::string screen) {
  while (!screen.empty() && (screen.back() == '\n' || screen.back() == ' ')) screen.pop_back();
  if (!screen.empty()) screen.push_back('\n');
  return screen;
}

}  // namespace parhelia::core
