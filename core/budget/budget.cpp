#include "core/budget/budget.h"

#include <algorithm>
#include <array>
#include <functional>
#include <limits>
#include <sstream>

#include "core/base/calendar.h"
#include "core/session/session.h"

namespace parhelia::core {
namespace {

constexpr std::int64_t kOrphanReservationMs = 60'000;
// Past a kept sandbox's keep-alive, the time its supervisor has to checkpoint and end it.
constexpr std::int64_t kKeptReleaseSlack_s = 600;
constexpr std::array kPeriodScopes = {LimitScope::daily, LimitScope::monthly, LimitScope::total};

std::string limit_key(LimitScope scope) {
  return "limit." + std::string(to_string(scope));
}

std::string thresholds_text(const std::vector<int>& thresholds) {
  std::string text;
  for (int t : thresholds) text += (text.empty() ? "" : ",") + std::to_string(t);
  return text;
}

std::vector<int> parse_thresholds(const std::string& text) {
  std::vector<int> thresholds;
  std::istringstream in(text);
  for (std::string part; std::getline(in, part, ',');) {
    try {
      thresholds.push_back(std::stoi(part));
    } catch (const std::exception&) {
    }
  }
  return thresholds;
}

BudgetSettings read_settings(sqlite::Connection& db) {
  BudgetSettings settings;
  auto q = db.prepare("SELECT name, value FROM budget_settings");
  while (q.step()) {
    const std::string name = q.text(0);
    const std::string value = q.text(1);
    try {
      if (name == "thresholds") {
        settings.thresholds = parse_thresholds(value);
      } else if (name == "confirm_above") {
        settings.confirm_above = std::stoll(value);
      } else if (name == "token_allowance_per_hour") {
        settings.token_allowance_per_hour = std::stoll(value);
      } else if (name.rfind("limit.", 0) == 0) {
        if (auto scope = parse_limit_scope(name.substr(6)))
          settings.limits[*scope] = std::stoll(value);
      }
    } catch (const std::exception&) {
      // A value this build cannot read keeps its default rather than failing every question.
    }
  }
  return settings;
}

Micros spent_in(sqlite::Connection& db, LimitScope scope, std::int64_t now_ms) {
  const std::int64_t today = utc_day(now_ms);
  std::int64_t first = std::numeric_limits<std::int64_t>::min();
  if (scope == LimitScope::daily) first = today;
  if (scope == LimitScope::monthly) first = first_day_of_month(today);
  auto q = db.prepare("SELECT coalesce(sum(amount_micros), 0) FROM spend_by_day WHERE day >= ?");
  q.bind(1, first);
  q.step();
  return q.integer(0);
}

Micros session_spent(sqlite::Connection& db, const std::string& session_id) {
  auto q = db.prepare("SELECT amount_micros FROM spend_by_session WHERE session_id = ?");
  q.bind(1, session_id);
  return q.step() ? q.integer(0) : 0;
}

// What live reservations still hold: each one's amount less what its session has spent.
Micros held_now(sqlite::Connection& db) {
  auto q = db.prepare(
      "SELECT coalesce(sum(max(r.amount_micros - coalesce(s.amount_micros, 0), 0)), 0) FROM "
      "reservations r LEFT JOIN spend_by_session s ON s.session_id = r.session_id WHERE "
      "r.released_at IS NULL");
  q.step();
  return q.integer(0);
}

std::vector<Headroom> headroom_now(sqlite::Connection& db, const BudgetSettings& settings,
                                   std::int64_t now_ms) {
  const bool any_limit = std::any_of(kPeriodScopes.begin(), kPeriodScopes.end(),
                                     [&](LimitScope scope) { return settings.limit(scope); });
  if (!any_limit) return {};
  return headroom_of(settings, held_now(db),
                     [&](LimitScope scope) { return spent_in(db, scope, now_ms); });
}

std::string period_of(LimitScope scope, std::int64_t now_ms) {
  const std::int64_t today = utc_day(now_ms);
  if (scope == LimitScope::daily) return iso_date(today);
  if (scope == LimitScope::monthly) return iso_month(today);
  return "all";
}

// One limit a session's spend is held to, and what is spent against it now.
struct WatchedLimit {
  std::string scope;   // daily, monthly, total, or session (its own cap)
  std::string period;  // "2026-11-24", "2026-11", "all", or the session id
  Micros limit = 0;
  Micros spent = 0;

  std::string reached_sentence() const {
    if (scope == "session") {
      return "It reached its budget cap of " + format_usd(limit) + " (spent " + format_usd(spent) +
             ").";
    }
    return "The " + scope + " budget limit of " + format_usd(limit) + " was reached (spent " +
           format_usd(spent) + ").";
  }
};

// Each period limit that is set, then the session's own cap if it has one.
std::vector<WatchedLimit> watched_limits(sqlite::Connection& db, const BudgetSettings& settings,
                                         const std::string& session_id, std::optional<Micros> cap,
                                         std::int64_t now_ms) {
  std::vector<WatchedLimit> watched;
  for (LimitScope scope : kPeriodScopes) {
    if (const auto limit = settings.limit(scope)) {
      watched.push_back({std::string(to_string(scope)), period_of(scope, now_ms), *limit,
                         spent_in(db, scope, now_ms)});
    }
  }
  if (cap) watched.push_back({"session", session_id, *cap, session_spent(db, session_id)});
  return watched;
}

BudgetAlert read_alert(const sqlite::Statement& q) {
  return {q.integer(0), q.text(1),    q.text(2), static_cast<int>(q.integer(3)),
          q.integer(4), q.integer(5), q.text(6), q.integer(7)};
}

constexpr const char* kAlertColumns =
    "id, scope, period, threshold_pct, spend_micros, limit_micros, session_id, at";

}  // namespace

std::string_view to_string(LimitScope scope) {
  switch (scope) {
    case LimitScope::session:
      return "session";
    case LimitScope::daily:
      return "daily";
    case LimitScope::monthly:
      return "monthly";
    case LimitScope::total:
      return "total";
  }
  return "total";
}

std::optional<LimitScope> parse_limit_scope(std::string_view name) {
  for (LimitScope scope :
       {LimitScope::session, LimitScope::daily, LimitScope::monthly, LimitScope::total}) {
    if (to_string(scope) == name) return scope;
  }
  return std::nullopt;
}

std::vector<Headroom> headroom_of(const BudgetSettings& settings, Micros held,
                                  const std::function<Micros(LimitScope)>& spent) {
  std::vector<Headroom> rooms;
  for (LimitScope scope : kPeriodScopes) {
    if (const auto limit = settings.limit(scope))
      rooms.push_back({scope, *limit, spent(scope), held});
  }
  std::sort(rooms.begin(), rooms.end(),
            [](const Headroom& a, const Headroom& b) { return a.remaining() < b.remaining(); });
  return rooms;
}

std::optional<Micros> BudgetSettings::limit(LimitScope scope) const {
  const auto found = limits.find(scope);
  if (found == limits.end()) return std::nullopt;
  return found->second;
}

std::string BudgetAlert::sentence() const {
  const std::string pct = std::to_string(threshold_pct) + "%";
  if (scope == "session") {
    return "Budget alert: session " + period + " has spent " + format_usd(spent) + ", " + pct +
           " of its " + format_usd(limit) + " cap.";
  }
  return "Budget alert: " + scope + " spend (" + period + ") is " + format_usd(spent) + ", " + pct +
         " of the " + format_usd(limit) + " " + scope + " limit.";
}

Result<BudgetUpdate> budget_update_of(const BudgetRequest& request) {
  const auto amount = [](double dollars, const std::string& what) -> Result<Micros> {
    if (auto micros = micros_from_dollars(dollars)) return *micros;
    return Error{ErrorCode::invalid_input, what + " is a number of dollars, 0 or more.", ""};
  };
  BudgetUpdate update;
  for (const auto& [scope, dollars] : request.limits) {
    auto micros = amount(dollars, "A limit");
    if (!micros) return micros.error();
    update.limits[scope] = micros.value();
  }
  for (const auto& name : request.clear) {
    const auto scope = parse_limit_scope(name);
    if (!scope)
      return Error{ErrorCode::invalid_input, "There is no limit '" + name + "' to clear.", ""};
    if (update.limits.count(*scope) > 0)
      return Error{ErrorCode::invalid_input,
                   "The " + name + " limit is both set and cleared; do one.", ""};
    update.limits[*scope] = std::nullopt;
  }
  update.thresholds = request.thresholds;
  if (request.confirm_above) {
    auto micros = amount(*request.confirm_above, "The confirmation amount");
    if (!micros) return micros.error();
    update.confirm_above = micros.value();
  }
  if (request.token_allowance_per_hour) {
    auto micros = amount(*request.token_allowance_per_hour, "The token allowance");
    if (!micros) return micros.error();
    update.token_allowance_per_hour = micros.value();
  }
  return update;
}

Result<BudgetSettings> Budget::settings() {
  return database_->run([](sqlite::Connection& db) { return read_settings(db); });
}

Result<std::vector<BudgetChange>> Budget::update(const BudgetUpdate& update,
                                                 const std::string& origin) {
  std::map<std::string, std::optional<std::string>> wanted;
  for (const auto& [scope, value] : update.limits) {
    if (value && *value < 0)
      return invalid("A limit cannot be negative.", "Give 0 or more dollars.");
    wanted[limit_key(scope)] = value ? std::optional(std::to_string(*value)) : std::nullopt;
  }
  if (update.thresholds) {
    auto thresholds = *update.thresholds;
    std::sort(thresholds.begin(), thresholds.end());
    thresholds.erase(std::unique(thresholds.begin(), thresholds.end()), thresholds.end());
    if (thresholds.empty() || thresholds.size() > 10 || thresholds.front() < 1 ||
        thresholds.back() > 1000) {
      return invalid("Alert thresholds are 1 to 10 percentages between 1 and 1000.",
                     "For example 50,80,100.");
    }
    wanted["thresholds"] = thresholds_text(thresholds);
  }
  if (update.confirm_above) {
    if (*update.confirm_above < 0)
      return invalid("The confirmation amount cannot be negative.", "Give 0 or more dollars.");
    wanted["confirm_above"] = std::to_string(*update.confirm_above);
  }
  if (update.token_allowance_per_hour) {
    if (*update.token_allowance_per_hour < 0)
      return invalid("The token allowance cannot be negative.", "Give 0 or more dollars.");
    wanted["token_allowance_per_hour"] = std::to_string(*update.token_allowance_per_hour);
  }
  if (wanted.empty()) return invalid("Nothing to set.", "Name a limit, thresholds or an amount.");

  return database_->run([&](sqlite::Connection& db) {
    sqlite::Transaction transaction(db);
    std::vector<BudgetChange> changes;
    const std::int64_t at = now_ms();
    for (const auto& [name, value] : wanted) {
      auto old = db.prepare("SELECT value FROM budget_settings WHERE name = ?");
      old.bind(1, name);
      std::optional<std::string> old_value;
      if (old.step()) old_value = old.text(0);
      if (old_value == value) continue;
      if (value) {
        db.prepare(
              "INSERT INTO budget_settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO "
              "UPDATE SET value = excluded.value")
            .bind(1, name)
            .bind(2, *value)
            .run();
      } else {
        db.prepare("DELETE FROM budget_settings WHERE name = ?").bind(1, name).run();
      }
      db.prepare(
            "INSERT INTO budget_changes (at, name, old_value, new_value, origin) VALUES (?, ?, ?, "
            "?, ?)")
          .bind(1, at)
          .bind(2, name)
          .bind(3, old_value)
          .bind(4, value)
          .bind(5, origin)
          .run();
      changes.push_back({at, name, old_value, value, origin});
    }
    transaction.commit();
    return changes;
  });
}

Result<std::vector<BudgetChange>> Budget::changes(std::size_t limit) {
  return database_->run([&](sqlite::Connection& db) {
    auto q = db.prepare(
        "SELECT at, name, old_value, new_value, origin FROM budget_changes ORDER BY id DESC "
        "LIMIT ?");
    q.bind(1, static_cast<std::int64_t>(limit));
    std::vector<BudgetChange> changes;
    while (q.step()) {
      BudgetChange change{q.integer(0), q.text(1), std::nullopt, std::nullopt, q.text(4)};
      if (!q.is_null(2)) change.old_value = q.text(2);
      if (!q.is_null(3)) change.new_value = q.text(3);
      changes.push_back(std::move(change));
    }
    return changes;
  });
}

Result<std::vector<Headroom>> Budget::headroom(std::int64_t now_ms) {
  return database_->run(
      [&](sqlite::Connection& db) { return headroom_now(db, read_settings(db), now_ms); });
}

Result<Micros> Budget::held() {
  return database_->run([](sqlite::Connection& db) { return held_now(db); });
}

Result<std::vector<HeldReservation>> Budget::reservations(std::size_t limit) {
  return database_->run([&](sqlite::Connection& db) {
    auto q = db.prepare(
        "SELECT r.session_id, r.amount_micros, coalesce(s.amount_micros, 0), r.created_at FROM "
        "reservations r LEFT JOIN spend_by_session s ON s.session_id = r.session_id WHERE "
        "r.released_at IS NULL ORDER BY r.created_at DESC LIMIT ?");
    q.bind(1, static_cast<std::int64_t>(limit));
    std::vector<HeldReservation> held;
    while (q.step()) held.push_back({q.text(0), q.integer(1), q.integer(2), q.integer(3)});
    return held;
  });
}

Result<Micros> Budget::reserved_for(const std::string& session_id) {
  return database_->run([&](sqlite::Connection& db) {
    auto q = db.cached(
        "SELECT coalesce(sum(amount_micros), 0) FROM reservations WHERE session_id = ? AND "
        "released_at IS NULL");
    q->bind(1, session_id);
    q->step();
    return q->integer(0);
  });
}

Result<Reservation> Budget::reserve(const std::string& session_id, Micros amount,
                                    std::int64_t now_ms) {
  return database_->run([&](sqlite::Connection& db) {
    // BEGIN IMMEDIATE takes the write lock first: no other process can reserve between this
    // transaction's reading of the room and its writing of the reservation.
    sqlite::Transaction transaction(db);
    Reservation reservation;
    reservation.amount = amount;
    const auto rooms = headroom_now(db, read_settings(db), now_ms);
    if (!rooms.empty()) reservation.tightest = rooms.front();
    reservation.granted = amount == 0 || rooms.empty() || rooms.front().remaining() >= amount;
    if (!reservation.granted) return reservation;
    db.prepare(
          "INSERT INTO reservations (session_id, amount_micros, created_at) VALUES (?, ?, ?) ON "
          "CONFLICT (session_id) DO NOTHING")
        .bind(1, session_id)
        .bind(2, amount)
        .bind(3, now_ms)
        .run();
    transaction.commit();
    return reservation;
  });
}

Result<Done> Budget::release(const std::string& session_id, std::int64_t now_ms) {
  return database_->run([&](sqlite::Connection& db) {
    db.prepare(
          "UPDATE reservations SET released_at = ? WHERE session_id = ? AND released_at IS NULL")
        .bind(1, now_ms)
        .bind(2, session_id)
        .run();
    return Done{};
  });
}

Result<int> Budget::release_stale(std::int64_t now_ms) {
  return database_->run([&](sqlite::Connection& db) {
    // Asked on every reconcile (every status and list): a read over the few held
    // reservations first, and a write only when one is stale.
    auto stale = db.cached(
        "SELECT r.session_id FROM reservations r WHERE r.released_at IS NULL AND (EXISTS "
        "(SELECT 1 FROM sessions s WHERE s.id = r.session_id AND s.state NOT IN ('queued', "
        "'provisioning', 'running') AND (s.keep_alive_s = 0 OR s.state = 'over_budget' OR "
        "COALESCE(s.finished_at, 0) + (s.keep_alive_s + ?) * 1000 < ?)) OR (r.created_at < ? "
        "AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = r.session_id)))");
    // A session whose sandbox is kept after its work (keep-alive) holds its reservation for
    // that time (and the time to end it), or until its supervisor gives it back.
    stale->bind(1, kKeptReleaseSlack_s).bind(2, now_ms).bind(3, now_ms - kOrphanReservationMs);
    std::vector<std::string> ids;
    while (stale->step()) ids.push_back(stale->text(0));
    for (const auto& id : ids) {
      db.cached(
            "UPDATE reservations SET released_at = ? WHERE session_id = ? AND released_at IS "
            "NULL")
          ->bind(1, now_ms)
          .bind(2, id)
          .run();
    }
    return static_cast<int>(ids.size());
  });
}

Result<Allowance> Budget::allowance(const std::string& session_id, std::optional<Micros> cap,
                                    std::int64_t now_ms) {
  return database_->run([&](sqlite::Connection& db) {
    Allowance allowance;
    const auto watched = watched_limits(db, read_settings(db), session_id, cap, now_ms);
    for (const auto& w : watched) {
      const Micros left = w.limit - w.spent;
      allowance.room = allowance.room ? std::min(*allowance.room, left) : left;
    }
    // When several are reached, the session's own cap is the one named.
    auto reached = [](const WatchedLimit& w) { return w.spent >= w.limit; };
    auto named = std::find_if(watched.rbegin(), watched.rend(), [&](const WatchedLimit& w) {
      return w.scope == "session" && reached(w);
    });
    if (named == watched.rend()) named = std::find_if(watched.rbegin(), watched.rend(), reached);
    if (named != watched.rend()) allowance.stop_reason = named->reached_sentence();
    return allowance;
  });
}

Result<std::vector<BudgetAlert>> Budget::record_alerts(const std::string& session_id,
                                                       std::optional<Micros> cap,
                                                       std::int64_t now_ms) {
  return database_->run([&](sqlite::Connection& db) {
    sqlite::Transaction transaction(db);
    const BudgetSettings settings = read_settings(db);
    std::vector<BudgetAlert> alerts;
    for (const auto& w : watched_limits(db, settings, session_id, cap, now_ms)) {
      for (int threshold : settings.thresholds) {
        // spent / limit >= threshold %, in integers; a $0 limit is crossed by any spend.
        if (w.spent * 100 < w.limit * threshold || (w.limit == 0 && w.spent == 0)) continue;
        db.prepare(
              "INSERT INTO budget_alerts (scope, period, threshold_pct, spend_micros, "
              "limit_micros, session_id, at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
            .bind(1, w.scope)
            .bind(2, w.period)
            .bind(3, threshold)
            .bind(4, w.spent)
            .bind(5, w.limit)
            .bind(6, session_id)
            .bind(7, now_ms)
            .run();
        if (db.changes() == 0) continue;  // already recorded for this period
        alerts.push_back({sqlite3_last_insert_rowid(db.handle()), w.scope, w.period, threshold,
                          w.spent, w.limit, session_id, now_ms});
      }
    }
    transaction.commit();
    return alerts;
  });
}

Result<std::vector<BudgetAlert>> Budget::alerts_unseen(std::int64_t seen, std::int64_t since_ms,
                                                       std::size_t limit) {
  return database_->run([&](sqlite::Connection& db) {
    // Ids grow with time: the last alert recorded before since_ms is where news begins.
    auto q = db.prepare(std::string("SELECT ") + kAlertColumns +
                        " FROM budget_alerts WHERE id > max(?, (SELECT coalesce(max(id), 0) FROM "
                        "budget_alerts WHERE at < ?)) ORDER BY id LIMIT ?");
    q.bind(1, seen).bind(2, since_ms).bind(3, static_cast<std::int64_t>(limit));
    std::vector<BudgetAlert> alerts;
    while (q.step()) alerts.push_back(read_alert(q));
    return alerts;
  });
}

Result<std::vector<BudgetAlert>> Budget::alerts_since(std::int64_t since_ms, std::size_t limit) {
  return database_->run([&](sqlite::Connection& db) {
    auto q = db.prepare(std::string("SELECT ") + kAlertColumns +
                        " FROM budget_alerts WHERE at >= ? ORDER BY id DESC LIMIT ?");
    q.bind(1, since_ms).bind(2, static_cast<std::int64_t>(limit));
    std::vector<BudgetAlert> alerts;
    while (q.step()) alerts.push_back(read_alert(q));
    return alerts;
  });
}

}  // namespace parhelia::core
