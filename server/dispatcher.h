// Binds JSON-RPC methods to handlers and runs them: requests off the reader thread (unless a
// method is marked inline), each answered once, whole; cancelled requests are not answered.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>

#include "server/jsonrpc.h"
#include "server/worker_pool.h"
#include "transport/transport.h"

namespace parhelia::server {

// What a handler knows about the request it serves.
struct RequestScope {
  json id;
  std::string method;
  json progress_token;  // from params._meta.progressToken; null when absent
  std::shared_ptr<std::atomic<bool>> cancel_flag = std::make_shared<std::atomic<bool>>(false);
  // When the request's last progress notification was written (steady clock ticks; 0: none
  // yet), so that its answer keeps its distance from it.
  std::shared_ptr<std::atomic<std::int64_t>> last_progress_at =
      std::make_shared<std::atomic<std::int64_t>>(0);

  bool cancelled() const noexcept { return cancel_flag->load(); }
  void progress_written() const noexcept {
    last_progress_at->store(std::chrono::steady_clock::now().time_since_epoch().count());
  }
};

class Dispatcher {
 public:
  using RequestHandler = std::function<RpcResult(const json& params, const RequestScope& scope)>;
  using NotificationHandler = std::function<void(const json& params)>;
  using ReplyHandler = std::function<void(const RpcResult& reply)>;
  // Inline handlers run on the reader thread: only for work that never blocks (ping, lists).
  enum class Execution { inline_on_reader, on_pool };

  // An answer is written no sooner than `quiet_after_progress` after the last progress
  // notification of its request: Claude Code 2.1.332 drops the whole connection in most runs
  // when a progress notification arrives just before the result it belongs to (none did with
  // 0.3 s between them). A request that sent no progress is answered at once.
  Dispatcher(transport::Transport& transport, std::size_t max_workers,
             std::chrono::milliseconds quiet_after_progress = std::chrono::milliseconds(300));

  void on_request(const std::string& method, Execution execution, RequestHandler handler);
  void on_notification(const std::string& method, NotificationHandler handler);
  // Batches are a protocol-version matter; the MCP layer says when they are allowed.
  void set_batch_policy(std::function<bool()> batches_allowed);

  // Called on the reader thread for each message that arrived.
  void dispatch(const json& message);
  void reject_unreadable(const RpcError& error);

  // Marks the request cancelled; its handler sees it, and its answer is never sent.
  void cancel(const json& id);
  // Sends a request of our own to the peer; on_reply runs when its answer arrives.
  void call(const std::string& method, json params, ReplyHandler on_reply);
  void notify(const std::string& method, json params);

  // Lets work in flight finish for `grace`, then cancels what is left and waits up to
  // `after_cancel` for its handlers to return. False if some handler was still running.
  bool shutdown(std::chrono::milliseconds grace, std::chrono::milliseconds after_cancel);

 private:
  class Batch;
  // An answer on its way out: a message, or the text of one whose result was already text.
  using Outgoing = std::variant<json, std::string>;
  using Answer = std::function<void(std::optional<Outgoing>)>;

  void dispatch_one(const json& message, const Answer& answer);
  void run_request(RpcRequest request, const Answer& answer);
  void deliver_reply(const RpcResponse& response);
  static std::string id_key(const json& id) { return id.dump(); }

  transport::Transport& transport_;
  std::chrono::milliseconds quiet_after_progress_;
  WorkerPool pool_;
  std::map<std::string, std::pair<Execution, RequestHandler>> request_handlers_;
  std::map<std::string, NotificationHandler> notification_handlers_;
  std::function<bool()> batches_allowed_ = [] { return false; };

  std::mutex in_flight_mutex_;
  std::map<std::string, std::shared_ptr<std::atomic<bool>>> in_flight_;
  std::mutex calls_mutex_;
  std::map<std::string, ReplyHandler> pending_calls_;
  std::atomic<long long> next_call_id_{1};
};

}  // namespace parhelia::server
