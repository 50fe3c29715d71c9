// The supervisor of a session on Modal: `parhelia __supervise ID` as the Modal backend runs it,
// a detached process on the user's machine that follows the session's sandbox (DESIGN.md,
// "modal/"). It prepares the working copy here as for a local session, builds (or finds) the
// image, creates the sandbox exactly once (named after the session, tagged with it and this
// install, its timeout no longer than the budget's room pays for at its rates), sends the
// files, runs the work as an exec in its own process group and drives the session's run
// policy with it: the output into the session's log and Claude Code's stream, compute charged
// every 15 s at Modal's rates, the watchdog and timeout, the stop. At the end the changes come
// back into the working copy here (workspace_transfer.h), the outcome is recorded from the
// work's exit or the sandbox's end, and the sandbox is terminated.
//
// Why the work is an exec and not the sandbox's entrypoint: an exec's exit code and output are
// the work's own (no markers in a log to parse), and the sandbox outlives the work, so its
// changes can still be read from it before it is terminated. The entrypoint only keeps the
// sandbox up until Modal's timeout.
#pragma once

#include <cstdint>
#include <filesystem>

#include "core/budget/rates.h"
#include "core/session/session.h"
#include "core/store/store.h"

namespace parhelia::modal {

// Beyond the session's own timeout, Modal's gives the run policy time to stop the work
// itself and take its changes back; never beyond what the budget's room pays for.
inline constexpr std::int64_t kStopSlack_s = 120;

// How long Modal keeps a checkpoint's filesystem snapshot (its own default too); the copy on
// this machine outlives it.
inline constexpr int kSnapshotDays = 30;

// The sandbox a session has (written once it is created): what a stop reaches when the
// session's supervisor is gone.
std::filesystem::path sandbox_id_file(const std::filesystem::path& home,
                                      const std::string& session_id);

// Present while the session's supervisor keeps its sandbox after the work (keep-alive).
std::filesystem::path kept_sandbox_file(const std::filesystem::path& home,
                                        const std::string& session_id);

int supervise_on_modal(const std::filesystem::path& home, core::Store& store, core::Session session,
                       const core::RateTable& rates);

}  // namespace parhelia::modal
