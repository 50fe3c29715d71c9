// `parhelia mcp`: the MCP server over stdio, as Claude Code starts it.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <thread>

#include "cli/commands.h"
#include "cli/composition.h"
#include "cli/logging.h"
#include "cli/output.h"
#include "core/base/environment.h"
#include "core/local/host_probe.h"
#include "core/session/sessions.h"
#include "server/protocol_version.h"
#include "tools/toolset.h"
#include "transport/stdio_transport.h"

namespace parhelia::cli {
namespace {

std::atomic<transport::StdioTransport*> running_transport{nullptr};

void stop_on_signal(int) {
  if (auto* transport = running_transport.load()) transport->stop();
}

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

// What mcp-manifest.json says of this server besides its lists: who it is (as initialize's
// serverInfo says), how a client starts it, and what it speaks.
nlohmann::json description() {
  const server::ServerIdentity identity = tools::parhelia_identity();
  return {{"name", identity.name},
          {"title", identity.title},
          {"version", identity.version},
          {"description", identity.description},
          {"command", "parhelia"},
          {"args", nlohmann::json::array({"mcp"})},
          {"transports", nlohmann::json::array({"stdio"})},
          {"protocolVersions", server::ProtocolVersion::supported()}};
}

// What the backends run unknown to the store goes to the log, where the server's operator
// looks: nothing of it is stopped, since nothing says whose it is.
void report_strays(core::SessionService& service) {
  auto strays = service.strays();
  if (!strays) {
    spdlog::warn("listing the backends' sessions: {}", strays.error().sentence());
    return;
  }
  for (const auto& stray : strays.value()) {
    spdlog::warn("the {} backend runs session {}, which Parhelia's database does not know",
                 stray.backend, stray.session_id);
  }
}

int serve(const LoggingOptions& logging) {
  // main() set the default logging up; only --log-file or --log-level change it.
  if ((logging.file || logging.level) && !configure_logging(logging)) return kExitUsage;
  // Nothing before the answer to initialize but what answers it: the database opens on the
  // first call that needs it, and the reconciliation of sessions and the sandbox and GPU
  // probes (child processes) start once the client has its answer, off the reader thread.
  auto service =
      core::SessionService::open_on_first_use(core::parhelia_home(), sessions_backends());
  std::jthread warm_up;
  server::Toolset toolset;
  const auto watcher = tools::register_toolset(
      toolset, *service, {.debug_tools = core::env_value("PARHELIA_ENABLE_DEBUG_TOOLS") == "1"});
  transport::StdioTransport transport({});
  server::McpServer server(transport, toolset,
                           {.identity = tools::parhelia_identity(),
                            .page_size = page_size_from_environment(),
                            .on_initialized = [&warm_up, &service] {
                              warm_up = std::jthread([&service] {
                                core::probe_host_in_background();
                                service->reconcile();
                                report_strays(*service);
                              });
                            }});

  running_transport = &transport;
  struct sigaction action {};
  action.sa_handler = stop_on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  spdlog::info("parhelia mcp serving on stdio (pid {})", ::getpid());
  transport.run(server);
  // At the end of input the client may still read answers to what it sent last, so that work
  // gets a second to finish; a signal means stop now. Either way the exit comes within 2 s.
  const bool signalled = transport.stopped();
  spdlog::info("{}; stopping", signalled ? "asked to stop" : "input closed");
  const bool drained = server.shutdown(std::chrono::milliseconds(signalled ? 0 : 1000),
                                       std::chrono::milliseconds(signalled ? 1500 : 700));
  running_transport = nullptr;
  if (!drained) {
    // A handler did not notice cancellation in time; the promise is to exit within 2 s.
    spdlog::warn("requests still running at shutdown; exiting without waiting for them");
    spdlog::shutdown();
    std::_Exit(kExitOk);
  }
  return kExitOk;
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
      print_json(description());
      exit_code = kExitOk;
      return;
    }
    exit_code = serve(*logging);
  });
}

}  // namespace parhelia::cli
