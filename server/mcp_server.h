// An MCP server for one client session: the lifecycle (initialize, version negotiation,
// capabilities), ping, logging, and the tools, resources, prompts and completion methods over a
// toolset that other sessions in the process may share. It knows nothing of what the tools do.
// Fill the toolset, make a server for each client, and hand each to its transport.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "server/call_context.h"
#include "server/client_session.h"
#include "server/dispatcher.h"
#include "server/toolset.h"
#include "transport/transport.h"

namespace parhelia::server {

struct ServerIdentity {
  std::string name;
  std::string title;
  std::string version;
  std::string description;   // serverInfo.description, from MCP 2025-11-25 on
  std::string instructions;  // shown to the model; Claude Code keeps the first 2 KB
};

struct McpServerOptions {
  ServerIdentity identity;
  std::size_t page_size = 50;    // items per page of every list method
  std::size_t max_workers = 16;  // requests running at once; more wait their turn
  // The least time between a request's last progress notification and its answer.
  std::chrono::milliseconds quiet_after_progress{300};
  // Runs once, on the reader thread, when the client says it has its initialize answer
  // (notifications/initialized): the moment for work that must not hold up that answer.
  std::function<void()> on_initialized;
};

class McpServer final : public transport::MessageHandler, public ClientChannel {
 public:
  // Serves `toolset`, which must outlive the server, to the client at the other end of
  // `transport`.
  McpServer(transport::Transport& transport, Toolset& toolset, McpServerOptions options);
  ~McpServer() override;
  McpServer(const McpServer&) = delete;
  McpServer& operator=(const McpServer&) = delete;

  // transport::MessageHandler
  void on_message(json message) override;
  void on_unreadable(transport::ReadFailure failure, const std::string& detail) override;

  // ClientChannel
  void notify(const std::string& method, json params) override;
  void request(const std::string& method, json params,
               std::function<void(const RpcResult&)> on_reply) override;

  // Lets requests in flight finish for `grace`, then cancels the rest (their answers are not
  // sent) and waits up to `after_cancel` for them. False if a handler was still running.
  bool shutdown(std::chrono::milliseconds grace, std::chrono::milliseconds after_cancel);

 private:
  enum class Phase { any, after_initialize };
  void bind(const std::string& method, Dispatcher::Execution execution, Phase phase,
            Dispatcher::RequestHandler handler);
  // Whether a list's items can change while serving (resources come and go; the tools are
  // registered before the server serves and never change).
  enum class Listed { changing, fixed };
  // A list method: paginated over whatever `items` produces for the negotiated version; the
  // pages of a fixed list are written once and sent as text.
  void bind_list(const std::string& method, const char* key,
                 std::function<std::shared_ptr<const json>(const ProtocolVersion&)> items,
                 Listed listed = Listed::changing);

  void bind_lifecycle();
  void bind_tools();
  void bind_resources();
  void bind_prompts_and_completion();
  RpcResult initialize(const json& params);
  json capabilities(const ProtocolVersion& version) const;
  void refresh_roots();

  McpServerOptions options_;
  Toolset& toolset_;
  const AlertSource alerts_;  // this client's own
  std::once_flag initialized_once_;
  Dispatcher dispatcher_;
  ClientSession client_;
};

}  // namespace parhelia::server
