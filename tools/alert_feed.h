// The budget alerts a tool call's result carries. Claude Code shows the model neither
// notifications/message nor (beside structuredContent) a result's text, so an alert reaches
// the model only in the result of a call: there go the alerts recorded since this client was
// last shown any (by any process: a session's supervisor records them as it charges), and, for
// a call about one session, the latest alert of that session (how near its cap it is).
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "core/service/sessions.h"
#include "server/jsonrpc.h"

namespace parhelia::tools {

class BudgetAlertFeed {
 public:
  // Alerts recorded before the feed starts are not news: status and budget show list them.
  // Nothing is read until the first call.
  explicit BudgetAlertFeed(core::SessionService& service);

  // For the registry's alert source; at most a handful of sentences, newest last.
  std::vector<std::string> for_call(const std::string& tool, const server::json& arguments);

 private:
  core::SessionService& service_;
  std::mutex mutex_;
  const std::int64_t started_at_;
  std::int64_t last_shown_ = 0;
};

}  // namespace parhelia::tools
