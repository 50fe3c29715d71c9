// What a tool handler may do besides returning its result: notice cancellation, report
// progress, log to the client, ask the user through the client (elicitation), and learn who
// the client is.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <variant>

#include "server/client_session.h"
#include "server/dispatcher.h"

namespace parhelia::server {

// The way back to the client: notifications, and requests of the server's own; implemented by
// the MCP server.
class ClientChannel {
 public:
  virtual ~ClientChannel() = default;
  virtual void notify(const std::string& method, json params) = 0;
  virtual void request(const std::string& method, json params,
                       std::function<void(const RpcResult&)> on_reply) = 0;
};

// The user's answer to an elicitation: accept (with content), decline or cancel.
struct Elicitation {
  std::string action;
  json content = json::object();
  bool accepted() const { return action == "accept"; }
};

class CallContext {
 public:
  CallContext(const RequestScope& scope, const ClientSession& client, ClientChannel& channel)
      : scope_(scope), client_(client), channel_(channel) {}

  bool cancelled() const noexcept { return scope_.cancelled(); }
  bool wants_progress() const { return !scope_.progress_token.is_null(); }

  // Sent only when the request carried a progressToken. MCP requires progress to increase with
  // every notification, so a repeat of the last value (a heartbeat) is nudged just above it.
  // The call's answer is then held until a quiet gap after the last one (see Dispatcher).
  void progress(double done, std::optional<double> total = std::nullopt,
                const std::string& message = {});

  // Sent as notifications/message when the client's log level lets it through.
  void log(LogLevel level, const std::string& message);

  // Whether the client can ask its user (it declared elicitation, in a version that has it).
  bool can_elicit() const;
  // Asks the user through the client with a flat form (`requested_schema`, an object schema
  // of primitive properties) and waits for the answer. An error (as text) when the client
  // failed, the call was cancelled, or no answer came within `timeout`.
  std::variant<Elicitation, std::string> elicit(const std::string& message,
                                                const json& requested_schema,
                                                std::chrono::milliseconds timeout);

  const ClientSession& client() const { return client_; }

 private:
  const RequestScope& scope_;
  const ClientSession& client_;
  ClientChannel& channel_;
  std::mutex mutex_;
  std::optional<double> last_progress_;
};

}  // namespace parhelia::server
