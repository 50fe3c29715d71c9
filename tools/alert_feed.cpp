#include "tools/alert_feed.h"

#include <algorithm>

namespace parhelia::tools {
namespace {

// A result carries at most this many new alerts; the rest are named by count.
constexpr std::size_t kMostAlerts = 5;

}  // namespace

BudgetAlertFeed::BudgetAlertFeed(core::SessionService& service)
    : service_(service), started_at_(core::now_ms()) {}

std::vector<std::string> BudgetAlertFeed::for_call(const std::string& tool,
                                                   const server::json& arguments) {
  std::vector<std::string> shown;
  std::vector<core::BudgetAlert> fresh;
  {
    std::lock_guard lock(mutex_);
    fresh = service_.alerts_unseen(last_shown_, started_at_, 100).value_or({});
    if (!fresh.empty()) last_shown_ = fresh.back().id;
  }
  // budget show and set list this month's alerts in the answer itself.
  const std::string action =
      arguments.is_object() && arguments.value("action", server::json()).is_string()
          ? arguments["action"].get<std::string>()
          : "";
  const bool listed_anyway =
      tool == "budget" && (action.empty() || action == "show" || action == "set");
  if (!listed_anyway) {
    const std::size_t from = fresh.size() > kMostAlerts ? fresh.size() - kMostAlerts : 0;
    if (from > 0)
      shown.push_back(std::to_string(from) +
                      " earlier budget alerts are left out here; budget (action show) lists them.");
    for (std::size_t i = from; i < fresh.size(); ++i) shown.push_back(fresh[i].sentence());
  }

  const server::json id =
      arguments.is_object() ? arguments.value("session_id", server::json()) : server::json();
  if (!id.is_string()) return shown;
  auto session = service_.recorded(id.get<std::string>());
  if (!session) return shown;
  // Newest first: the first that concerns the session says how near its cap it is now.
  for (const auto& alert : service_.alerts_since(session->created_at, 100).value_or({})) {
    if (alert.session_id != session->id) continue;
    const std::string sentence = alert.sentence();
    if (std::find(shown.begin(), shown.end(), sentence) == shown.end()) shown.push_back(sentence);
    break;
  }
  return shown;
}

}  // namespace parhelia::tools
