#include "server/dispatcher.h"

#include <spdlog/spdlog.h>

#include <optional>
#include <thread>

namespace parhelia::server {

// Collects the answers of one batch and sends them as one array when the last is in. A batch
// of notifications alone gets no answer at all, as JSON-RPC requires.
class Dispatcher::Batch {
 public:
  Batch(transport::Transport& transport, std::size_t size)
      : transport_(transport), waiting_(size) {}

  void add(std::optional<Outgoing> answer) {
    std::lock_guard lock(mutex_);
    if (auto* text = answer ? std::get_if<std::string>(&*answer) : nullptr) {
      answers_.push_back(json::parse(*text));  // batches are rare (2025-03-26 only)
    } else if (answer) {
      answers_.push_back(std::get<json>(std::move(*answer)));
    }
    if (--waiting_ == 0 && !answers_.empty()) transport_.send(answers_);
  }

 private:
  transport::Transport& transport_;
  std::mutex mutex_;
  std::size_t waiting_;
  json answers_ = json::array();
};

Dispatcher::Dispatcher(transport::Transport& transport, std::size_t max_workers,
                       std::chrono::milliseconds quiet_after_progress)
    : transport_(transport), quiet_after_progress_(quiet_after_progress), pool_(max_workers) {}

void Dispatcher::on_request(const std::string& method, Execution execution,
                            RequestHandler handler) {
  request_handlers_[method] = {execution, std::move(handler)};
}

void Dispatcher::on_notification(const std::string& method, NotificationHandler handler) {
  notification_handlers_[method] = std::move(handler);
}

void Dispatcher::set_batch_policy(std::function<bool()> batches_allowed) {
  batches_allowed_ = std::move(batches_allowed);
}

void Dispatcher::reject_unreadable(const RpcError& error) {
  transport_.send(make_error_response(nullptr, error));
}

void Dispatcher::dispatch(const json& message) {
  if (!message.is_array()) {
    dispatch_one(message, [this](std::optional<Outgoing> answer) {
      if (!answer) return;
      if (auto* text = std::get_if<std::string>(&*answer)) {
        transport_.send_serialized(std::move(*text));
      } else {
        transport_.send(std::get<json>(*answer));
      }
    });
    return;
  }
  if (message.empty()) {
    reject_unreadable({rpc_code::invalid_request, "Invalid Request: an empty batch"});
    return;
  }
  if (!batches_allowed_()) {
    reject_unreadable(
        {rpc_code::invalid_request,
         "Invalid Request: batches are not allowed in the negotiated protocol version; "
         "send one message per line"});
    return;
  }
  auto batch = std::make_shared<Batch>(transport_, message.size());
  for (const auto& element : message) {
    dispatch_one(element,
                 [batch](std::optional<Outgoing> answer) { batch->add(std::move(answer)); });
  }
}

void Dispatcher::dispatch_one(const json& message, const Answer& answer) {
  RpcMessage classified = classify(message);
  if (auto* invalid = std::get_if<RpcInvalid>(&classified)) {
    answer(make_error_response(invalid->id, invalid->error));
  } else if (auto* notification = std::get_if<RpcNotification>(&classified)) {
    if (auto it = notification_handlers_.find(notification->method);
        it != notification_handlers_.end()) {
      // The reader thread must outlive any notification: one that trips a handler is logged.
      try {
        it->second(notification->params);
      } catch (const std::exception& e) {
        spdlog::error("the {} notification failed: {}", notification->method, e.what());
      }
    } else {
      spdlog::debug("ignoring notification {}", notification->method);
    }
    answer(std::nullopt);
  } else if (auto* response = std::get_if<RpcResponse>(&classified)) {
    deliver_reply(*response);
    answer(std::nullopt);
  } else {
    run_request(std::move(std::get<RpcRequest>(classified)), answer);
  }
}

void Dispatcher::run_request(RpcRequest request, const Answer& answer) {
  const auto handler = request_handlers_.find(request.method);
  if (handler == request_handlers_.end()) {
    answer(make_error_response(
        request.id, {rpc_code::method_not_found, "Method not found: " + request.method}));
    return;
  }
  if (request.params.is_array()) {
    answer(make_error_response(request.id,
                               {rpc_code::invalid_params,
                                "Invalid params: MCP methods take named parameters (an object)"}));
    return;
  }

  RequestScope scope;
  scope.id = request.id;
  scope.method = request.method;
  if (request.params.is_object()) {
    if (const auto meta = request.params.find("_meta");
        meta != request.params.end() && meta->is_object()) {
      // Echoed in every progress notification, so only a token of the kind MCP allows.
      if (json token = meta->value("progressToken", json()); is_valid_id(token))
        scope.progress_token = std::move(token);
    }
  }
  const std::string key = id_key(request.id);
  {
    std::lock_guard lock(in_flight_mutex_);
    if (!in_flight_.emplace(key, scope.cancel_flag).second) {
      answer(make_error_response(request.id, {rpc_code::invalid_request,
                                              "Invalid Request: id " + key +
                                                  " is already in use by a request in flight"}));
      return;
    }
  }

  auto job = [this, key, scope = std::move(scope), params = std::move(request.params),
              run = handler->second.second, answer]() {
    RpcResult outcome;
    try {
      outcome = run(params, scope);
    } catch (const std::exception& e) {
      spdlog::error("{} failed: {}", scope.method, e.what());
      outcome = RpcError{rpc_code::internal_error, std::string("Internal error: ") + e.what()};
    }
    if (const auto last = scope.last_progress_at->load(); last != 0 && !scope.cancelled()) {
      using Clock = std::chrono::steady_clock;
      std::this_thread::sleep_until(Clock::time_point(Clock::duration(last)) +
                                    quiet_after_progress_);
    }
    {
      std::lock_guard lock(in_flight_mutex_);
      in_flight_.erase(key);
    }
    if (scope.cancelled()) {
      answer(std::nullopt);
    } else if (const auto* error = std::get_if<RpcError>(&outcome)) {
      answer(make_error_response(scope.id, *error));
    } else if (const auto* serialized = std::get_if<SerializedResult>(&outcome)) {
      answer(Outgoing(std::in_place_type<std::string>,
                      make_response_text(scope.id, *serialized->json_text)));
    } else {
      answer(make_response(scope.id, std::get<json>(std::move(outcome))));
    }
  };
  if (handler->second.first == Execution::inline_on_reader) {
    job();
  } else if (!pool_.submit(std::move(job))) {
    std::lock_guard lock(in_flight_mutex_);
    in_flight_.erase(key);
  }
}

void Dispatcher::cancel(const json& id) {
  if (!is_valid_id(id)) return;  // names no request; and never turned into text
  std::lock_guard lock(in_flight_mutex_);
  if (const auto it = in_flight_.find(id_key(id)); it != in_flight_.end()) it->second->store(true);
}

void Dispatcher::call(const std::string& method, json params, ReplyHandler on_reply) {
  const std::string id = "parhelia-" + std::to_string(next_call_id_++);
  {
    std::lock_guard lock(calls_mutex_);
    pending_calls_[id_key(id)] = std::move(on_reply);
  }
  transport_.send(make_request(id, method, std::move(params)));
}

void Dispatcher::notify(const std::string& method, json params) {
  transport_.send(make_notification(method, std::move(params)));
}

void Dispatcher::deliver_reply(const RpcResponse& response) {
  ReplyHandler on_reply;
  {
    std::lock_guard lock(calls_mutex_);
    const auto it = pending_calls_.find(id_key(response.id));
    if (it == pending_calls_.end()) {
      spdlog::debug("ignoring an answer to unknown request {}", response.id.dump());
      return;
    }
    on_reply = std::move(it->second);
    pending_calls_.erase(it);
  }
  // Replies are handled off the reader thread: a handler may well send the next request.
  pool_.submit([on_reply = std::move(on_reply), outcome = response.outcome] { on_reply(outcome); });
}

bool Dispatcher::shutdown(std::chrono::milliseconds grace, std::chrono::milliseconds after_cancel) {
  if (grace.count() > 0 && pool_.drain(grace)) return true;
  {
    std::lock_guard lock(in_flight_mutex_);
    for (auto& [key, flag] : in_flight_) flag->store(true);
  }
  return pool_.drain(after_cancel);
}

}  // namespace parhelia::server
