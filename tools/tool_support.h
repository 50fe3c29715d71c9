// What the tools share: the one conversion of a core error into a tool error, the default
// workspace a client implies, and the views (core/views) their results are made of.
#pragma once

#include <string>

#include "core/base/result.h"
#include "core/session/sessions.h"
#include "core/views/session_view.h"
#include "server/call_context.h"
#include "server/client_session.h"
#include "server/tool_registry.h"

namespace parhelia::tools {

// The views are the parts of every tool's result; the tools name them as their own.
using namespace views;

// The resource link to a session's log, which a result carries for the client to read.
server::ResourceLink log_link(const std::string& id);

server::ToolError tool_error(const core::Error& error);

// The bounds every tool that takes a session's resources declares in its input schema
// (submit, checkpoint restore, budget estimate): one place, so they cannot drift apart.
schema::json timeout_range();  // seconds
schema::json cpu_range();      // cores
schema::json memory_range();   // GiB
schema::json dollar_range();   // caps and limits in USD

// Cores, GiB and a dollar cap as the submit and budget tools take them, over the request's
// defaults.
void ask_for(core::SubmitRequest& request, std::optional<double> cpu,
             std::optional<double> memory_gib, std::optional<double> max_cost_usd);

// The client's first file:// root (Claude Code sends the project directory), else the
// server's working directory.
std::string default_workspace(const server::ClientSession& client);

// Above the confirmation amount the user decides: through the client when it can ask
// (elicitation), else the caller must pass confirm: true to `tool` after asking. Nothing, when
// the session may start.
std::optional<server::ToolError> confirmation_refused(core::SessionService& service,
                                                      const core::CostEstimate& estimate,
                                                      bool confirmed, server::CallContext& context,
                                                      const std::string& tool);

}  // namespace parhelia::tools
