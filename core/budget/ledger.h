// The ledger: every charge as an append-only row (session, kind, resource, quantity, unit
// price, amount, time), in integer micro-dollars. A session is charged by cumulative totals:
// "this session has used 5,400 GPU-seconds" charges only what was not charged before, so a
// repeated or replayed charge changes nothing, and the amounts of a resource always add up to
// exactly its total quantity times its price, rounded once. Each charge is one transaction
// with its running totals (per session and resource, per day, per session), so a crash at any
// instant keeps every committed row and never charges twice.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/store/database.h"
#include "core/base/money.h"
#include "core/budget/rates.h"

namespace parhelia::core {

// Charge a session's use of one resource up to a cumulative total.
struct Charge {
  std::string session_id;
  ChargeKind kind = ChargeKind::compute;
  std::string resource;  // "gpu:H100", "cpu", "memory", "tokens:claude-sonnet-4-5:output"
  std::string unit;
  std::int64_t total_quantity_milli = 0;  // since the session started, in thousandths
  Picos price = 0;                        // per unit
};

struct LedgerRow {
  std::int64_t id = 0;
  std::string session_id;
  std::string kind;
  std::string resource;
  std::string unit;
  std::int64_t quantity_milli = 0;
  Picos unit_price = 0;
  Micros amount = 0;
  std::int64_t at = 0;
};

struct ResourceSpend {
  std::string resource;
  std::int64_t quantity_milli = 0;
  Micros amount = 0;
};

struct SessionSpend {
  std::string session_id;
  Micros amount = 0;
};

struct SpendTotals {
  Micros today = 0;
  Micros this_month = 0;
  Micros total = 0;
};

struct HistoryQuery {
  std::optional<std::string> session_id;
  std::optional<std::string> kind;
  std::optional<std::int64_t> since_ms;
  std::size_t limit = 50;
  std::optional<std::int64_t> before_id;  // keyset cursor: rows older than this one
};

class Ledger {
 public:
  explicit Ledger(std::shared_ptr<Database> database) : database_(std::move(database)) {}

  // Charges every entry up to its total, all in one transaction; returns the rows it added
  // (none for totals already charged).
  Result<std::vector<LedgerRow>> charge(const std::vector<Charge>& charges, std::int64_t at_ms);

  Result<Micros> session_spend(const std::string& session_id);
  // The spend of each of `session_ids` (those with none are left out), in one read.
  Result<std::map<std::string, Micros>> sessions_spend(const std::vector<std::string>& session_ids);
  Result<std::vector<ResourceSpend>> session_resources(const std::string& session_id);
  Result<SpendTotals> totals(std::int64_t now_ms);
  // Spend per UTC day for `days` days ending with the day of `now_ms`, oldest first.
  Result<std::vector<Micros>> by_day(std::int64_t now_ms, int days);
  Result<std::vector<SessionSpend>> top_sessions(std::size_t limit);
  // Newest first.
  Result<std::vector<LedgerRow>> history(const HistoryQuery& query);

 private:
  std::shared_ptr<Database> database_;
};

}  // namespace parhelia::core
