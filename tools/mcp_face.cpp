// tools/mcp_face.cpp: the MCP face (transport/mcp_face.h): the stdio transport, the MCP
// server and every tool, resource and prompt over one session service.
#include "transport/mcp_face.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <thread>

#include "core/local/host_probe.h"
#include "core/service/sessions.h"
#include "server/protocol_version.h"
#include "tools/toolset.h"
#include "transport/stdio_transport.h"
#include "transport/streamable_http.h"

namespace parhelia::transport {
namespace {

std::atomic<StdioTransport*> running_transport{nullptr};
std::atomic<StreamableHttpServer*> running_http{nullptr};

void stop_on_signal(int) {
  if (auto* transport = running_transport.load()) transport->stop();
  if (auto* http = running_http.load()) http->stop();
}

void stop_on_signals() {
  struct sigaction action {};
  action.sa_handler = stop_on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
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
          {"transports", nlohmann::json::array({"stdio", "streamable-http"})},
          {"http",
           {{"args", nlohmann::json::array({"mcp", "--http", "127.0.0.1:8848"})},
            {"url", "http://127.0.0.1:8848/mcp"}}},
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
  stop_on_signals();

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

namespace {

// One HTTP client session's MCP server; ending the session cancels what it still runs.
class HttpClientSession final : public MessageHandler {
 public:
  HttpClientSession(Transport& transport, server::Toolset& toolset,
                    server::McpServerOptions options)
      : server_(transport, toolset, std::move(options)) {}
  ~HttpClientSession() override {
    server_.shutdown(std::chrono::milliseconds(0), std::chrono::milliseconds(1500));
  }
  void on_message(nlohmann::json message) override { server_.on_message(std::move(message)); }
  void on_unreadable(ReadFailure failure, const std::string& detail) override {
    server_.on_unreadable(failure, detail);
  }

 private:
  server::McpServer server_;
};

}  // namespace

int serve_mcp_face_http(core::SessionService& service, const McpFaceOptions& options,
                        StreamableHttpOptions http) {
  std::jthread warm_up;
  std::once_flag warmed_up;
  server::Toolset toolset;
  const auto watcher =
      tools::register_toolset(toolset, service, {.debug_tools = options.debug_tools});
  http.protocol_versions = server::ProtocolVersion::supported();
  StreamableHttpServer server(std::move(http), [&](Transport& transport) {
    return std::make_unique<HttpClientSession>(
        transport, toolset,
        server::McpServerOptions{.identity = tools::parhelia_identity(),
                                 .page_size = options.page_size,
                                 .on_initialized = [&] {
                                   std::call_once(warmed_up, [&] {
                                     warm_up = std::jthread([&service] {
                                       core::probe_host_in_background();
                                       service.reconcile();
                                       report_strays(service);
                                     });
                                   });
                                 }});
  });
  std::string error;
  if (!server.listen(error)) {
    std::fprintf(stderr, "parhelia mcp: %s\n", error.c_str());
    return 1;
  }
  running_http = &server;
  stop_on_signals();
  const std::string url = server.url();
  std::printf("%s\n", url.c_str());
  std::fflush(stdout);
  std::fprintf(stderr,
               "parhelia mcp: serving MCP (Streamable HTTP) at %s until Ctrl-C; add it to "
               "Claude Code with: claude mcp add --transport http parhelia %s\n",
               url.c_str(), url.c_str());
  spdlog::info("parhelia mcp serving on {} (pid {})", url, ::getpid());
  server.run();
  running_http = nullptr;
  spdlog::info("asked to stop; the HTTP sessions have ended");
  return 0;
}

}  // namespace parhelia::transport
