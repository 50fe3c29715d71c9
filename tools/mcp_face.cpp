// tools/mcp_face.cpp: the MCP face (transport/mcp_face.h): the stdio transport, the MCP
// server and every tool, resource and prompt over one session service.
#include "transport/mcp_face.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <thread>

#include "core/local/host_probe.h"
#include "core/service/sessions.h"
#include "server/protocol_version.h"
#include "tools/toolset.h"
#include "transport/stdio_transport.h"

namespace parhelia::transport {
namespace {

std::atomic<StdioTransport*> running_transport{nullptr};

void stop_on_signal(int) {
  if (auto* transport = running_transport.load()) transport->stop();
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

}  // namespace

nlohmann::json mcp_face_description() {
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

int serve_mcp_face(core::SessionService& service, const McpFaceOptions& options) {
  std::jthread warm_up;
  server::Toolset toolset;
  const auto watcher =
      tools::register_toolset(toolset, service, {.debug_tools = options.debug_tools});
  StdioTransport transport({});
  server::McpServer server(transport, toolset,
                           {.identity = tools::parhelia_identity(),
                            .page_size = options.page_size,
                            .on_initialized = [&warm_up, &service] {
                              warm_up = std::jthread([&service] {
                                core::probe_host_in_background();
                                service.reconcile();
                                report_strays(service);
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
    std::_Exit(0);
  }
  return 0;
}

}  // namespace parhelia::transport
