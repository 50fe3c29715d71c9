// What the tools share: the one conversion of a core error into a tool error, the default
// workspace a client implies, and the views (core/views) their results are made of.
#pragma once

#include <string>

#include "core/base/result.h"
#include "core/service/sessions.h"
#include "core/views/session_view.h"
#include "server/call_context.h"
#include "server/client_session.h"
#include "server/completion.h"
#include "server/tool_registry.h"

namespace parhelia::tools {

// The views are the parts of every tool's result; the tools name them as their own.
using namespace views;

// The resource link to a session's log, which a result carries for the client to read.
server::ResourceLink log_link(const std::string& id);

server::ToolError tool_error(const core::Error& error);
// Completes a session id from the store (prompts' and resource templates' arguments).
server::Completer session_ids(core::SessionService& service);

// The bounds every tool that takes a session's resources declares in its input schema
// (submit, checkpoint restore, budget estimate): one place, so they cannot drift apart.
schema::json timeout_range();  // seconds
schema::json cpu_range();      // cores
schema::json memory_range();   // GiB
schema::json dollar_range();   // caps and limits in USD

// The resources a session asks for, as the submit tool, checkpoint restore and budget estimate
// take them: declared once, with their bounds, and composed flat into each tool's arguments
// with that tool's words, e.g. flat(&SubmitArgs::resources, ResourceArgs::fields_with({…})).
struct ResourceArgs {
  std::optional<std::string> gpu;
  std::optional<std::int64_t> timeout_s;
  std::optional<double> cpu;
  std::optional<double> memory_gib;
  std::optional<double> max_cost_usd;

  // What each field is, in the including tool's words.
  struct Words {
    std::string_view gpu, timeout_s, cpu, memory_gib, max_cost_usd;
  };
  static auto fields_with(const Words& words) {
    return std::tuple{
        schema::field("gpu", &ResourceArgs::gpu, words.gpu),
        schema::field("timeout_s", &ResourceArgs::timeout_s, words.timeout_s, timeout_range()),
        schema::field("cpu", &ResourceArgs::cpu, words.cpu, cpu_range()),
        schema::field("memory_gib", &ResourceArgs::memory_gib, words.memory_gib, memory_range()),
        schema::field("max_cost_usd", &ResourceArgs::max_cost_usd, words.max_cost_usd,
                      dollar_range())};
  }

  // A new session: what is given, over the request's defaults.
  void apply(core::SubmitRequest& request) const;
  // A resumed one: what is given, in place of the session's own.
  void apply(core::ResumeRequest& request) const;
};

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
