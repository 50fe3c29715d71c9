// How the session commands print: a session, a list, a log piece, for a person or as JSON
// (the same JSON the MCP tools return as structured content).
#pragma once

#include <memory>
#include <string>

#include "core/base/result.h"
#include "core/service/sessions.h"
#include "core/session/session.h"

namespace parhelia::cli {

// Opens $PARHELIA_HOME's session service, or prints why not.
std::unique_ptr<core::SessionService> open_sessions();
void print_session(core::SessionService& service, const core::Session& session, bool as_json);
void print_session_line(const core::Session& session);
// Prints the error ("parhelia: …") and returns the exit code for it.
int report(const core::Error& error);
// Prints the log from `offset` as it grows until the session ends; returns the final session.
core::Result<core::Session> follow_log(core::SessionService& service, const std::string& id,
                                       std::uint64_t offset);

// Above the confirmation amount a person agrees first: --yes, or a yes at the terminal.
bool cost_confirmed(core::SessionService& service, const core::SubmitRequest& request, bool yes);

}  // namespace parhelia::cli
