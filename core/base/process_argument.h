// What a session is started with travels as single arguments of a process (`sh -c COMMAND`,
// `claude -p TASK`, the workspace's path): the kernel ends an argument at its first NUL byte
// and refuses one longer than MAX_ARG_STRLEN (131072 bytes, its NUL included) with "Argument
// list too long". Such text is refused at submit, with what to do, rather than cut or failing
// at start.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "core/base/result.h"

namespace parhelia::core {

// Below MAX_ARG_STRLEN with room to spare.
inline constexpr std::size_t kMaxArgumentBytes = 100 * 1024;

// Why `text` cannot be passed whole as one argument; nothing when it can. `what` names it in
// the sentence ("The command", "The task").
std::optional<Error> argument_problem(std::string_view what, std::string_view text);

// Why `path` cannot name a file (a NUL byte); nothing when it can.
std::optional<Error> path_problem(std::string_view what, std::string_view path);

}  // namespace parhelia::core
