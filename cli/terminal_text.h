// Text that a session or a user chose (commands, tasks, names, file names, errors, activity,
// answers), made safe to print on a terminal: a control character would otherwise reach the
// terminal as a command (OSC retitles the window or writes the clipboard, CSI moves the
// cursor) and a newline would forge a row of Parhelia's own output. Every human rendering in
// the CLI passes such text through here; --json output is JSON and needs none of it.
#pragma once

#include <string>
#include <string_view>

namespace parhelia::cli {

// One line stays one line: control characters (newlines and tabs too), bytes that are not
// UTF-8, and the Unicode controls that reorder or break lines are written as escapes (\n,
// \t, \e, \xNN, \u202e). A backslash stays as it is: this is for reading, not for parsing.
std::string terminal_line(std::string_view text);

// Many lines: as terminal_line, but newlines and tabs are kept, and each line after the first
// starts with `indent`, so that no line of the text can pass for a row of the output.
std::string terminal_block(std::string_view text, std::string_view indent);

}  // namespace parhelia::cli
