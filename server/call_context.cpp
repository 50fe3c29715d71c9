#include "server/call_context.h"

#include <cmath>
#include <limits>

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
  notifier_.notify("notifications/progress", std::move(params));
}

void CallContext::log(LogLevel level, const std::string& message) {
  if (!client_.logs_at(level)) return;
  notifier_.notify("notifications/message",
                   {{"level", to_string(level)}, {"logger", scope_.method}, {"data", message}});
}

}  // namespace parhelia::server
