// The session service's queries for the faces: what a session's view needs beyond its
// record, the store's numbers, the budget and the ledger, each a value (see the DESIGN note
// in sessions.h).
#include "core/service/sessions.h"

namespace parhelia::core {

SessionFacts SessionService::facts(const Session& session) {
  SessionFacts facts;
  if (auto spent = ledger_.session_spend(session.id)) facts.spent = spent.value();
  if (auto reserved = budget_.reserved_for(session.id)) facts.reserved = reserved.value();
  if (auto resources = ledger_.session_resources(session.id))
    facts.by_resource = std::move(resources).value();
  if (auto children = store_->children(session.id)) facts.resumed_as = std::move(children).value();
  if (auto latest = checkpoints_.latest(session.id); latest && latest.value())
    facts.latest_checkpoint = *latest.value();
  if (auto backend = backend_of(session)) facts.sandbox_id = backend.value()->sandbox_id(session);
  return facts;
}

Result<Micros> SessionService::spent(const std::string& session_id) {
  return ledger_.session_spend(session_id);
}

Result<std::map<std::string, Micros>> SessionService::spent(
    const std::vector<std::string>& session_ids) {
  return ledger_.sessions_spend(session_ids);
}

Result<std::vector<SessionEvent>> SessionService::events(const std::string& id) {
  return store_->events(id);
}

Result<std::vector<Session>> SessionService::recorded(const SessionQuery& query) {
  return store_->list(query);
}

Result<Session> SessionService::recorded(const std::string& id) {
  return store_->get(id);
}

Result<std::vector<std::string>> SessionService::ids_starting_with(const std::string& prefix,
                                                                   std::size_t limit) {
  return store_->ids_starting_with(prefix, limit);
}

StoreStats SessionService::store_stats() {
  return {store_->path(), store_->size_bytes(), store_->count_by_state().value_or({})};
}

Result<BudgetReport> SessionService::budget_report() {
  return core::budget_report(ledger_, budget_, now_ms());
}

Result<std::vector<BudgetChange>> SessionService::set_budget(const BudgetUpdate& update,
                                                             const std::string& origin) {
  return budget_.update(update, origin);
}

Result<std::vector<LedgerRow>> SessionService::history(const HistoryQuery& query) {
  return ledger_.history(query);
}

Result<std::vector<BudgetAlert>> SessionService::alerts_unseen(std::int64_t seen,
                                                               std::int64_t since_ms,
                                                               std::size_t limit) {
  return budget_.alerts_unseen(seen, since_ms, limit);
}

Result<std::vector<BudgetAlert>> SessionService::alerts_since(std::int64_t since_ms,
                                                              std::size_t limit) {
  return budget_.alerts_since(since_ms, limit);
}

Result<std::optional<Micros>> SessionService::confirmation_above(const CostEstimate& estimate) {
  auto settings = budget_.settings();
  if (!settings) return settings.error();
  if (estimate.reserve <= settings->confirm_above) return std::optional<Micros>();
  return std::optional<Micros>(settings->confirm_above);
}

Result<SubmitFit> SessionService::fit(const SubmitRequest& request) {
  auto estimate = this->estimate(request);
  if (!estimate) return estimate.error();
  auto rooms = budget_.headroom(now_ms());
  if (!rooms) return rooms.error();
  auto confirm = confirmation_above(estimate.value());
  if (!confirm) return confirm.error();
  SubmitFit fit;
  fit.estimate = std::move(estimate).value();
  fit.needs_confirmation = confirm.value().has_value();
  if (rooms->empty()) return fit;
  fit.tightest = rooms->front();
  fit.fits = fit.estimate.reserve == 0 || fit.estimate.reserve <= fit.tightest->remaining();
  if (!fit.fits) {
    if (auto longest = longest_timeout(request, fit.tightest->remaining()))
      fit.longest_timeout_s = longest.value();
  }
  return fit;
}

}  // namespace parhelia::core
