// What a session is given of Parhelia's environment: an allowlist, never the whole of it. The
// work gets the basics (PATH, locale, time zone, proxies, CA bundles), the one credential Claude
// Code signs in with (agent_credential.h) and its own settings only when it runs Claude Code, and
// the variables the user lists in config.json's sandbox.environment; Modal's credentials never. The
// session's tmux server and supervisor get the same, plus what the supervisor itself needs
// (PARHELIA_*, the XDG folders), so that no secret a session does not use sits in an environment it
// could see.
#pragma once

#include <string>
#include <vector>

#include "core/session/session.h"
#include "core/session/session_files.h"

namespace parhelia::core {

// "K=V" entries of this process's environment that the session's tmux server and supervisor
// are started with; `listed` are the variables config.json names.
std::vector<std::string> supervisor_environment(const Session& session,
                                                const std::vector<std::string>& listed);

// The whole environment of the work itself, built from this process's (the supervisor's).
std::vector<std::string> work_environment(const Session& session, const SessionFiles& files,
                                          const std::string& cuda_devices,
                                          const std::vector<std::string>& listed);

}  // namespace parhelia::core
