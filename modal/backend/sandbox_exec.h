// Commands run in a session's sandbox through its command router (Modal's exec), to their end:
// what carries the workspace in and the changes out, and what signals the work.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/base/result.h"
#include "modal/api/modal_client.h"

namespace parhelia::modal {

// An exec id of the session's for `purpose` (a UUID, as Modal's clients make them): the same
// purpose is the same exec, so a start repeated after a lost answer starts nothing twice.
std::string exec_id_for(const std::string& session_id, const std::string& purpose);

// An exec's end as a shell reports one: its code, or 128 + its signal; -1 for neither.
int exit_status(const ExecExit& exit);

struct SandboxRun {
  int exit_code = -1;  // 128 + signal for a signalled command
  std::string out;     // stdout and stderr together
};

// Starts `spec`, writes `input` to its stdin (then end of file), reads its output and waits
// for its end, all within `timeout`.
core::Result<SandboxRun> run_in_sandbox(CommandRouter& router, ExecSpec spec,
                                        std::string_view input, std::chrono::seconds timeout);

}  // namespace parhelia::modal
