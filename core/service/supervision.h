// `parhelia __supervise ID`: the process a backend's launch() starts for one session. It finds
// the session and its backend and hands over to that backend's supervise() (backend.h), which
// runs the work where the backend runs it and drives the session's run policy. What every
// supervisor does the same way is here: the stop signals it takes, claiming the queued
// session, and ending one that never ran.
#pragma once

#include <filesystem>
#include <string>

#include "core/checkpoints/checkpoints.h"
#include "core/service/backends.h"
#include "core/session/session.h"
#include "core/session/session_files.h"
#include "core/store/store.h"

namespace parhelia::core {

// Returns the supervisor's exit status (0 once the outcome is recorded).
int supervise(const std::filesystem::path& home, const std::string& session_id,
              const Backends& backends);

// The signal of a stop that reached this supervisor (SIGTERM, SIGINT or SIGHUP; 0: none yet).
int stop_signal_received();

// `parhelia __checkpoint ID [TOKEN] --trigger T`: a checkpoint in a process of its own, for a
// session that has no supervisor any more (asked for under TOKEN, answered), or for a
// supervisor that must never wait on one (checkpoint_job.h; no TOKEN, no answer). The
// session's files are brought here by its backend first. Returns the process's exit status.
int checkpoint_session(const std::filesystem::path& home, const std::string& session_id,
                       const std::string& token, CheckpointTrigger trigger,
                       const Backends& backends);

// Takes the queued session for this process: provisioning, with this process's pid and start
// time as its supervisor. False when it is no longer queued (nothing to do then).
bool claim_queued_session(Store& store, Session& session);

// Ends a session whose work never started: its reservation released, `why` in its log and as
// its error. Returns the supervisor's exit status (0).
int finish_unstarted(Store& store, Session& session, const SessionFiles& files,
                     SessionState final_state, const std::string& why);

}  // namespace parhelia::core
