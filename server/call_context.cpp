#include "server/call_context.h"

#include <cmath>
#include <condition_variable>
#include <limits>

#include "server/json_schema.h"

namespace parhelia::server {

void CallContext::progress(double done, std::optional<double> total, const std::string& message) {
  if (!wants_progress() || cancelled()) return;
  {
    std::lock_guard lock(mutex_);
    if (last_progress_ && done <= *last_progress_) {
      done = std::nextafter(*last_progress_, std::numeric_limits<double>::infinity());
    }
    last_progress_ = done;
  }
  json params = {{"progressToken", scope_.progress_token}, {"progress", done}};
  if (total) params["total"] = *total;
  if (!message.empty() && client_.version().progress_messages()) params["message"] = message;
  channel_.notify("notifications/progress", std::move(params));
  scope_.progress_written();
}

void CallContext::log(LogLevel level, const std::string& message) {
  if (!client_.logs_at(level)) return;
  channel_.notify("notifications/message",
                  {{"level", to_string(level)}, {"logger", scope_.method}, {"data", message}});
}

bool CallContext::can_elicit() const {
  return client_.version().elicitation() && client_.supports("elicitation");
}

std::variant<Elicitation, std::string> CallContext::elicit(const std::string& message,
                                                           const json& requested_schema,
                                                           std::chrono::milliseconds timeout) {
  if (!can_elicit()) return std::string("The client cannot ask its user (no elicitation).");
  // The reply arrives on the reader thread; this worker waits for it, watching for a cancel.
  struct Pending {
    std::mutex mutex;
    std::condition_variable arrived;
    std::optional<RpcResult> reply;
  };
  auto pending = std::make_shared<Pending>();
  json params = {{"message", message}, {"requestedSchema", requested_schema}};
  if (client_.version().elicitation_modes()) params["mode"] = "form";
  channel_.request("elicitation/create", std::move(params), [pending](const RpcResult& reply) {
    std::lock_guard lock(pending->mutex);
    pending->reply = reply;
    pending->arrived.notify_all();
  });
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(pending->mutex);
  while (!pending->reply) {
    if (cancelled()) return std::string("The call was cancelled while waiting for the user.");
    if (std::chrono::steady_clock::now() >= deadline)
      return std::string("No answer from the user in time.");
    pending->arrived.wait_for(lock, std::chrono::milliseconds(100));
  }
  if (const auto* error = std::get_if<RpcError>(&*pending->reply))
    return "The client could not ask its user: " + error->message;
  // The answer is the client's: it is read as untrusted as any request.
  const json& result = std::get<json>(*pending->reply);
  const json action = result.is_object() ? result.value("action", json("cancel")) : json();
  if (!action.is_string()) return std::string("The client answered without an action.");
  Elicitation answer;
  answer.action = action.get<std::string>();
  if (answer.action != "accept" && answer.action != "decline" && answer.action != "cancel")
    return "The client answered with an unknown action '" + answer.action + "'.";
  if (result.contains("content") && result["content"].is_object())
    answer.content = result["content"];
  // What a tool reads from the content has the types it asked for, or the answer is refused.
  if (answer.accepted()) {
    if (auto violation = validate_against_schema(requested_schema, answer.content))
      return "The client's answer does not fit the form: " + *violation + ".";
  }
  return answer;
}

}  // namespace parhelia::server
