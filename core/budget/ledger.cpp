#include "core/budget/ledger.h"

#include <limits>

#include "core/base/calendar.h"

namespace parhelia::core {
namespace {

constexpr const char* kRowColumns =
    "id, session_id, kind, resource, unit, quantity_milli, unit_price_pico, amount_micros, at";

LedgerRow read_row(const sqlite::Statement& q) {
  return {q.integer(0), q.text(1),    q.text(2),    q.text(3),   q.text(4),
          q.integer(5), q.integer(6), q.integer(7), q.integer(8)};
}

// Adds one row for `charge` if its total passes what was charged before; returns it.
std::optional<LedgerRow> charge_one(sqlite::Connection& db, const Charge& charge, std::int64_t at) {
  auto before =
      db.cached("SELECT quantity_milli FROM charged WHERE session_id = ? AND resource = ?");
  before->bind(1, charge.session_id).bind(2, charge.resource);
  const std::int64_t charged = before->step() ? before->integer(0) : 0;
  if (charge.total_quantity_milli <= charged) return std::nullopt;

  LedgerRow row;
  row.session_id = charge.session_id;
  row.kind = std::string(to_string(charge.kind));
  row.resource = charge.resource;
  row.unit = charge.unit;
  row.quantity_milli = charge.total_quantity_milli - charged;
  row.unit_price = charge.price;
  // The difference of rounded cumulative costs: the rows of a resource sum to its total cost
  // rounded once, however many rows it took.
  row.amount = cost_of(charge.total_quantity_milli, charge.price) - cost_of(charged, charge.price);
  row.at = at;
  // The key names the total being reached: the same charge made twice is refused by UNIQUE.
  const std::string key =
      charge.session_id + "/" + charge.resource + "/" + std::to_string(charge.total_quantity_milli);
  db.cached(
        "INSERT INTO ledger (charge_key, session_id, kind, resource, unit, quantity_milli, "
        "unit_price_pico, amount_micros, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
      ->bind(1, key)
      .bind(2, row.session_id)
      .bind(3, row.kind)
      .bind(4, row.resource)
      .bind(5, row.unit)
      .bind(6, row.quantity_milli)
      .bind(7, row.unit_price)
      .bind(8, row.amount)
      .bind(9, at)
      .run();
  row.id = sqlite3_last_insert_rowid(db.handle());
  db.cached(
        "INSERT INTO charged (session_id, resource, quantity_milli, amount_micros) VALUES (?, ?, "
        "?, ?) ON CONFLICT (session_id, resource) DO UPDATE SET quantity_milli = "
        "excluded.quantity_milli, amount_micros = amount_micros + excluded.amount_micros")
      ->bind(1, row.session_id)
      .bind(2, row.resource)
      .bind(3, charge.total_quantity_milli)
      .bind(4, row.amount)
      .run();
  db.cached(
        "INSERT INTO spend_by_day (day, amount_micros) VALUES (?, ?) ON CONFLICT (day) DO UPDATE "
        "SET amount_micros = amount_micros + excluded.amount_micros")
      ->bind(1, utc_day(at))
      .bind(2, row.amount)
      .run();
  db.cached(
        "INSERT INTO spend_by_session (session_id, amount_micros, last_at) VALUES (?, ?, ?) ON "
        "CONFLICT (session_id) DO UPDATE SET amount_micros = amount_micros + "
        "excluded.amount_micros, last_at = excluded.last_at")
      ->bind(1, row.session_id)
      .bind(2, row.amount)
      .bind(3, at)
      .run();
  return row;
}

Micros sum_days(sqlite::Connection& db, std::int64_t first_day) {
  auto q = db.prepare("SELECT coalesce(sum(amount_micros), 0) FROM spend_by_day WHERE day >= ?");
  q.bind(1, first_day);
  q.step();
  return q.integer(0);
}

}  // namespace

Result<std::vector<LedgerRow>> Ledger::charge(const std::vector<Charge>& charges,
                                              std::int64_t at_ms) {
  return database_->run([&](sqlite::Connection& db) {
    sqlite::Transaction transaction(db);
    std::vector<LedgerRow> rows;
    for (const auto& charge : charges) {
      if (auto row = charge_one(db, charge, at_ms)) rows.push_back(std::move(*row));
    }
    transaction.commit();
    return rows;
  });
}

Result<Micros> Ledger::session_spend(const std::string& session_id) {
  // Asked once per session shown (a list of twenty): a statement prepared once.
  return database_->run([&](sqlite::Connection& db) -> Micros {
    auto q = db.cached("SELECT amount_micros FROM spend_by_session WHERE session_id = ?");
    q->bind(1, session_id);
    return q->step() ? q->integer(0) : 0;
  });
}

Result<std::map<std::string, Micros>> Ledger::sessions_spend(
    const std::vector<std::string>& session_ids) {
  return database_->run([&](sqlite::Connection& db) {
    std::map<std::string, Micros> spend;
    if (session_ids.empty()) return spend;
    std::string sql =
        "SELECT session_id, amount_micros FROM spend_by_session WHERE session_id IN (?";
    for (std::size_t i = 1; i < session_ids.size(); ++i) sql += ", ?";
    auto q = db.prepare(sql + ")");
    for (std::size_t i = 0; i < session_ids.size(); ++i)
      q.bind(static_cast<int>(i + 1), session_ids[i]);
    while (q.step()) spend[q.text(0)] = q.integer(1);
    return spend;
  });
}

Result<std::vector<ResourceSpend>> Ledger::session_resources(const std::string& session_id) {
  return database_->run([&](sqlite::Connection& db) {
    auto q = db.cached(
        "SELECT resource, quantity_milli, amount_micros FROM charged WHERE session_id = ? ORDER "
        "BY amount_micros DESC, resource");
    q->bind(1, session_id);
    std::vector<ResourceSpend> spend;
    while (q->step()) spend.push_back({q->text(0), q->integer(1), q->integer(2)});
    return spend;
  });
}

Result<SpendTotals> Ledger::totals(std::int64_t now_ms) {
  return database_->run([&](sqlite::Connection& db) {
    const std::int64_t today = utc_day(now_ms);
    SpendTotals totals;
    totals.today = sum_days(db, today);
    totals.this_month = sum_days(db, first_day_of_month(today));
    totals.total = sum_days(db, std::numeric_limits<std::int64_t>::min());
    return totals;
  });
}

Result<std::vector<Micros>> Ledger::by_day(std::int64_t now_ms, int days) {
  return database_->run([&](sqlite::Connection& db) {
    const std::int64_t last = utc_day(now_ms);
    const std::int64_t first = last - days + 1;
    std::vector<Micros> spend(static_cast<std::size_t>(days), 0);
    auto q = db.prepare("SELECT day, amount_micros FROM spend_by_day WHERE day BETWEEN ? AND ?");
    q.bind(1, first).bind(2, last);
    while (q.step()) spend[static_cast<std::size_t>(q.integer(0) - first)] = q.integer(1);
    return spend;
  });
}

Result<std::vector<SessionSpend>> Ledger::top_sessions(std::size_t limit) {
  return database_->run([&](sqlite::Connection& db) {
    auto q = db.prepare(
        "SELECT session_id, amount_micros FROM spend_by_session ORDER BY amount_micros DESC "
        "LIMIT ?");
    q.bind(1, static_cast<std::int64_t>(limit));
    std::vector<SessionSpend> top;
    while (q.step()) top.push_back({q.text(0), q.integer(1)});
    return top;
  });
}

Result<std::vector<LedgerRow>> Ledger::history(const HistoryQuery& query) {
  return database_->run([&](sqlite::Connection& db) {
    std::string sql = std::string("SELECT ") + kRowColumns + " FROM ledger WHERE 1";
    if (query.session_id) sql += " AND session_id = ?1";
    if (query.kind) sql += " AND kind = ?2";
    if (query.since_ms) sql += " AND at >= ?3";
    if (query.before_id) sql += " AND id < ?4";
    sql += " ORDER BY id DESC LIMIT ?5";
    auto q = db.prepare(sql);
    if (query.session_id) q.bind(1, *query.session_id);
    if (query.kind) q.bind(2, *query.kind);
    if (query.since_ms) q.bind(3, *query.since_ms);
    if (query.before_id) q.bind(4, *query.before_id);
    q.bind(5, static_cast<std::int64_t>(query.limit));
    std::vector<LedgerRow> rows;
    while (q.step()) rows.push_back(read_row(q));
    return rows;
  });
}

}  // namespace parhelia::core
