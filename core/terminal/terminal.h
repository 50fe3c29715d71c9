// A session's terminal: the tmux session its work runs in, on this machine or inside a
// container behind SSH, and the tmux commands that attach to it, read its screen and type
// into it. Every command is an argument vector; nothing is pasted into a shell line.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/base/result.h"

namespace parhelia::core {

struct TmuxTarget {
  std::string socket;   // -S SOCKET; "" for tmux's default server
  std::string session;  // -t SESSION
};

// What to type into a session: literal text, then named keys (tmux's names: C-c, Enter,
// Escape, Up, Tab, ...), then Enter when `enter` is set.
struct Keystrokes {
  std::string text;
  std::vector<std::string> keys;
  bool enter = true;
};

// The most one send may carry (the session tool's schema states the same).
inline constexpr std::size_t kMaxKeystrokeText = 4096;  // bytes
inline constexpr std::size_t kMaxKeys = 32;

// A blank or oversized text, or a key name tmux would not know, with what to send instead.
std::optional<Error> check_keystrokes(const Keystrokes& keys);

// The detach key of tmux's default configuration, which Parhelia's sessions keep.
inline constexpr const char* kDetachKeys = "Ctrl-b d";

std::vector<std::string> tmux_attach_argv(const TmuxTarget& target, bool read_only);
// The visible screen as plain text (`capture-pane -p`).
std::vector<std::string> tmux_capture_argv(const TmuxTarget& target);
// One tmux invocation for the whole of `keys`.
std::vector<std::string> tmux_send_argv(const TmuxTarget& target, const Keystrokes& keys);

// A screen as captured: trailing blank lines dropped.
std::string trim_screen(std::string screen);

}  // namespace parhelia::core
