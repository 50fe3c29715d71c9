// `parhelia mcp`: the MCP server over stdio, as Claude Code starts it; the face itself is
// behind transport/mcp_face.h.
#include <malloc.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/composition.h"
#include "cli/logging.h"
#include "cli/output.h"
#include "core/base/environment.h"
#include "core/service/sessions.h"
#include "transport/mcp_face.h"

namespace parhelia::cli {
namespace {

std::size_t page_size_from_environment() {
  const auto value = core::env_value("PARHELIA_MCP_PAGE_SIZE");
  if (!value) return 50;
  try {
    const long size = std::stol(*value);
    if (size > 0) return static_cast<std::size_t>(size);
  } catch (const std::exception&) {
  }
  spdlog::warn("ignoring PARHELIA_MCP_PAGE_SIZE={}: not a positive number", *value);
  return 50;
}

int serve(const LoggingOptions& logging) {
  // main() set the default logging up; only --log-file or --log-level change it.
  if ((logging.file || logging.level) && !configure_logging(logging)) return kExitUsage;
  // One malloc arena: the server idles most of its life, and glibc would give each request
  // worker thread an arena of its own whose touched pages stay resident (0.3 MB of the idle
  // server's 8); its few short requests at a time do not contend for the one lock.
  mallopt(M_ARENA_MAX, 1);
  // Nothing before the answer to initialize but what answers it: the database opens on the
  // first call that needs it, and the reconciliation of sessions and the sandbox and GPU
  // probes (child processes) start once the client has its answer, off the reader thread.
  auto service =
      core::SessionService::open_on_first_use(core::parhelia_home(), sessions_backends());
  return transport::serve_mcp_face(
      *service, {.page_size = page_size_from_environment(),
                 .debug_tools = core::env_value("PARHELIA_ENABLE_DEBUG_TOOLS") == "1"});
}

}  // namespace

void add_mcp_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand(
      "mcp", "Serve MCP on stdin/stdout (what `claude mcp add parhelia -- parhelia mcp` runs)");
  auto logging = std::make_shared<LoggingOptions>();
  command->add_option("--log-file", logging->file, "Also write the server's log to this file");
  command->add_option("--log-level", logging->level,
                      "trace, debug, info, warn or error (default: warn)");
  auto describe = std::make_shared<bool>(false);
  command->add_flag("--describe", *describe,
                    "Print what mcp-manifest.json says of this server besides its tools, resources "
                    "and prompts (identity, command, transports, protocol versions) as JSON, and "
                    "exit");
  command->callback([logging, describe, &exit_code] {
    if (*describe) {
      print_json(transport::mcp_face_description());
      exit_code = kExitOk;
      return;
    }
    exit_code = serve(*logging);
  });
}

}  // namespace parhelia::cli
