// Where Parhelia keeps its state and how it finds programs: the one place that reads the
// process environment, so every layer agrees on it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace parhelia::core {

// This process's environment as "K=V" entries, with `overrides` ("K=V") replacing or adding
// entries (of two overrides for one key, the later wins): what a child process is started with.
std::vector<std::string> environment_with(const std::vector<std::string>& overrides);

// A non-empty environment variable, or nothing.
std::optional<std::string> env_value(const char* name);

// $PARHELIA_HOME, else $XDG_DATA_HOME/parhelia, else ~/.local/share/parhelia.
std::filesystem::path parhelia_home();

// The first executable file called `name` on $PATH (or `name` itself when it holds a '/').
std::optional<std::filesystem::path> find_executable(const std::string& name);

// The path of the running program (/proc/self/exe): what a backend starts as
// `parhelia __supervise ID`, and what runs a checkpoint in a process of its own.
std::string running_executable();

}  // namespace parhelia::core
