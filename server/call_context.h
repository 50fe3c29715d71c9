// What a tool handler may do besides returning its result: notice cancellation, report
// progress, log to the client, and learn who the client is.
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "server/client_session.h"
#include "server/dispatcher.h"

namespace parhelia::server {

// Sends notifications to the client; implemented by the MCP server.
class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual void notify(const std::string& method, json params) = 0;
};

class CallContext {
 public:
  CallContext(const RequestScope& scope, const ClientSession& client, Notifier& notifier)
      : scope_(scope), client_(client), notifier_(notifier) {}

  bool cancelled() const noexcept { return scope_.cancelled(); }
  bool wants_progress() const { return !scope_.progress_token.is_null(); }

  // Sent only when the request carried a progressToken. MCP requires progress to increase with
  // every notification, so a repeat of the last value (a heartbeat) is nudged just above it.
  void progress(double done, std::optional<double> total = std::nullopt,
                const std::string& message = {});

  // Sent as notifications/message when the client's log level lets it through.
  void log(LogLevel level, const std::string& message);

  const ClientSession& client() const { return client_; }

 private:
  const RequestScope& scope_;
  const ClientSession& client_;
  Notifier& notifier_;
  std::mutex mutex_;
  std::optional<double> last_progress_;
};

}  // namespace parhelia::server
