#include "core/base/process_argument.h"

#include <string>

namespace parhelia::core {

std::optional<Error> argument_problem(std::string_view what, std::string_view text) {
  const std::string name(what);
  if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
    return invalid(name + " holds a NUL byte (at byte " + std::to_string(nul) +
                       "), and only the part before it would reach the session.",
                   "Remove the NUL byte; inside a shell command, write it as printf '\\0'.");
  }
  if (text.size() > kMaxArgumentBytes) {
    return invalid(name + " is " + std::to_string(text.size()) + " bytes, more than the " +
                       std::to_string(kMaxArgumentBytes) + " one argument of a process may be.",
                   "Put the long part in a file in the workspace and refer to it (for a command, "
                   "a script such as `sh run.sh`; for a task, \"follow the steps in PLAN.md\").");
  }
  return std::nullopt;
}

std::optional<Error> path_problem(std::string_view what, std::string_view path) {
  if (const auto nul = path.find('\0'); nul != std::string_view::npos) {
    return invalid(std::string(what) + " holds a NUL byte (at byte " + std::to_string(nul) +
                       "), which no file name can contain.",
                   "Pass the directory's path without it.");
  }
  return std::nullopt;
}

}  // namespace parhelia::core
