// Budget limits and what holds them: settings (limits per session, day, month and in total;
// alert thresholds; the amount above which a submit asks for confirmation), each change
// recorded; reservations of a session's worst case, taken atomically against every hard limit
// so that concurrent submits from any number of processes never commit more than a limit
// allows; the checks the watchdog makes; and threshold alerts, recorded once per period.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/base/money.h"
#include "core/store/database.h"

namespace parhelia::core {

enum class LimitScope { session, daily, monthly, total };
std::string_view to_string(LimitScope scope);
std::optional<LimitScope> parse_limit_scope(std::string_view name);

struct BudgetSettings {
  std::map<LimitScope, Micros> limits;  // absent: no limit
  std::vector<int> thresholds = {50, 80, 100};
  Micros confirm_above = 5 * kMicrosPerDollar;
  // Set aside for a Claude Code task's tokens, per hour of its timeout (tokens are not bounded
  // by time, so this is an estimate; the watchdog holds the real spend to the limits).
  Micros token_allowance_per_hour = 3 * kMicrosPerDollar;

  std::optional<Micros> limit(LimitScope scope) const;
};

// A change to the settings; unset members stay as they are.
struct BudgetUpdate {
  std::map<LimitScope, std::optional<Micros>> limits;  // nullopt removes the limit
  std::optional<std::vector<int>> thresholds;
  std::optional<Micros> confirm_above;
  std::optional<Micros> token_allowance_per_hour;
};

// A change to the settings as a person or a model asks for it: amounts in dollars, limits to
// remove by name. Both faces read theirs into this and take the update from budget_update_of.
struct BudgetRequest {
  std::map<LimitScope, double> limits;  // dollars
  std::vector<std::string> clear;       // daily, monthly, total, session
  std::optional<std::vector<int>> thresholds;
  std::optional<double> confirm_above;
  std::optional<double> token_allowance_per_hour;
};

// The update a request asks for, or why it cannot be: an amount that is not a number of
// dollars (0 or more), a limit that does not exist, or one both set and cleared.
Result<BudgetUpdate> budget_update_of(const BudgetRequest& request);

struct BudgetChange {
  std::int64_t at = 0;
  std::string name;
  std::optional<std::string> old_value;
  std::optional<std::string> new_value;
  std::string origin;  // "cli", "mcp"
};

// How much room one hard limit leaves.
struct Headroom {
  LimitScope scope = LimitScope::total;
  Micros limit = 0;
  Micros spent = 0;  // committed in the limit's period
  Micros held = 0;   // reserved by live sessions, not spent yet
  Micros remaining() const { return limit - spent - held; }
};

struct Reservation {
  bool granted = false;
  Micros amount = 0;
  std::optional<Headroom> tightest;  // the limit with the least room (the one refusing)
};

// What a running session may still spend, as the watchdog sees it.
struct Allowance {
  std::optional<Micros> room;              // the least left before a limit; none: no limit
  std::optional<std::string> stop_reason;  // set once its cap or a hard limit is reached
};

// A live session's hold on the budget.
struct HeldReservation {
  std::string session_id;
  Micros reserved = 0;
  Micros spent = 0;
  std::int64_t since = 0;
};

struct BudgetAlert {
  std::int64_t id = 0;
  std::string scope;   // daily, monthly, total, session
  std::string period;  // "2026-11-24", "2026-11", "all", or the session id
  int threshold_pct = 0;
  Micros spent = 0;
  Micros limit = 0;
  std::string session_id;  // the session whose charge crossed it
  std::int64_t at = 0;

  std::string sentence() const;
};

// The room each daily, monthly and total limit that is set leaves, tightest first, given what
// live sessions hold and what each limit's period has spent.
std::vector<Headroom> headroom_of(const BudgetSettings& settings, Micros held,
                                  const std::function<Micros(LimitScope)>& spent);

class Budget {
 public:
  explicit Budget(std::shared_ptr<Database> database) : database_(std::move(database)) {}

  Result<BudgetSettings> settings();
  // Validates and applies the update; every setting it changes becomes a BudgetChange.
  Result<std::vector<BudgetChange>> update(const BudgetUpdate& update, const std::string& origin);
  Result<std::vector<BudgetChange>> changes(std::size_t limit);

  // The room each daily, monthly and total limit leaves now, tightest first.
  Result<std::vector<Headroom>> headroom(std::int64_t now_ms);
  Result<Micros> held();
  Result<std::vector<HeldReservation>> reservations(std::size_t limit);
  // What is reserved for one session now: its worst case while it is live, 0 once released.
  Result<Micros> reserved_for(const std::string& session_id);
  // Reserves `amount` for the session if every hard limit still has room for it; one
  // transaction, so concurrent reservations are serialized by the database.
  Result<Reservation> reserve(const std::string& session_id, Micros amount, std::int64_t now_ms);
  Result<Done> release(const std::string& session_id, std::int64_t now_ms);
  // Releases reservations whose session has ended, or never appeared (a submit that crashed
  // between reserving and recording its session).
  Result<int> release_stale(std::int64_t now_ms);

  // For the watchdog: the room left before the session's cap or a hard limit, and why it
  // must stop once one is reached.
  Result<Allowance> allowance(const std::string& session_id, std::optional<Micros> cap,
                              std::int64_t now_ms);
  // Records each threshold now crossed (once per threshold and period); returns the new ones.
  Result<std::vector<BudgetAlert>> record_alerts(const std::string& session_id,
                                                 std::optional<Micros> cap, std::int64_t now_ms);
  // What a reader started at `since_ms` has not been shown yet, oldest first: the alerts after
  // the id `seen` (0 before the first), never one recorded before `since_ms`.
  Result<std::vector<BudgetAlert>> alerts_unseen(std::int64_t seen, std::int64_t since_ms,
                                                 std::size_t limit);
  Result<std::vector<BudgetAlert>> alerts_since(std::int64_t since_ms, std::size_t limit);

 private:
  std::shared_ptr<Database> database_;
};

}  // namespace parhelia::core
