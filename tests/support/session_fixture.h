// A session recorded in a store with a working copy made from a project, as its supervisor
// would leave it: for unit tests of what works on a session's files (checkpoints, restore).
#pragma once

#include <catch2/catch.hpp>
#include <filesystem>

#include "core/session/session_files.h"
#include "core/store/store.h"
#include "core/workspace/workspace.h"

namespace parhelia::testing {

inline core::Session started_session(core::Store& store, const std::filesystem::path& home,
                                     const std::filesystem::path& origin,
                                     core::SessionKind kind = core::SessionKind::task) {
  core::Session s;
  s.id = core::new_session_id();
  s.kind = kind;
  s.task = "work";
  s.workspace = origin.string();
  s.created_at = core::now_ms();
  REQUIRE(store.insert(s));
  REQUIRE(core::prepare_working_copy(origin, core::SessionFiles::of(home, s.id).working_copy()));
  return s;
}

}  // namespace parhelia::testing
