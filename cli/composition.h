// The composition root's one choice: the backends sessions can run on, by name. The parhelia
// binary defines it in cli/composition.cpp; a test binary links its own definition instead
// (tests/support/test_backends_main.cpp), with the same CLI and MCP faces around it.
#pragma once

#include <filesystem>
#include <string>

#include "core/base/environment.h"
#include "core/service/backends.h"

namespace parhelia::cli {

// `parhelia` is the running binary: what a backend starts as `parhelia __supervise ID`.
core::Backends compose_backends(const std::filesystem::path& home, const std::string& parhelia);

// Those of $PARHELIA_HOME, for this binary.
inline core::Backends sessions_backends() {
  return compose_backends(core::parhelia_home(), core::running_executable());
}

}  // namespace parhelia::cli
