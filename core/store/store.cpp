#include "core/store/store.h"

#include <nlohmann/json.hpp>

namespace parhelia::core {
namespace {

constexpr const char* kSessionColumns =
    "id, name, kind, task, backend, gpu, workspace, timeout_s, sandboxed, state, created_at, "
    "started_at, "
    "finished_at, exit_code, supervisor_pid, supervisor_start, claude_session_id, last_activity, "
    "last_activity_at, result_text, result_json, error, changed_files, updated_at, cpu_milli, "
    "memory_milli_gib, max_cost_micros, estimate_micros, parent_id, restore_from, "
    "resume_agent_session, checkpoint_every_s, network, keep_alive_s";

Session read_session(const sqlite::Statement& row) {
  Session s;
  s.id = row.text(0);
  s.name = row.text(1);
  s.kind = row.text(2) == "task" ? SessionKind::task : SessionKind::command;
  s.task = row.text(3);
  s.backend = row.text(4);
  s.gpu = row.text(5);
  s.workspace = row.text(6);
  s.timeout_s = row.integer(7);
  s.sandboxed = row.integer(8) != 0;
  s.state = parse_session_state(row.text(9)).value_or(SessionState::lost);
  s.created_at = row.integer(10);
  s.started_at = row.maybe_integer(11);
  s.finished_at = row.maybe_integer(12);
  if (auto code = row.maybe_integer(13)) s.exit_code = static_cast<int>(*code);
  s.supervisor_pid = row.maybe_integer(14);
  s.supervisor_start = row.text(15);
  s.claude_session_id = row.text(16);
  s.last_activity = row.text(17);
  s.last_activity_at = row.maybe_integer(18);
  s.result_text = row.text(19);
  s.result_json = row.text(20);
  s.error = row.text(21);
  const auto files = nlohmann::json::parse(row.text(22), nullptr, false);
  if (files.is_array()) {
    for (const auto& f : files) s.changed_files.push_back(f.get<std::string>());
  }
  s.updated_at = row.integer(23);
  s.cpu_milli = row.integer(24);
  s.memory_milli_gib = row.integer(25);
  s.max_cost_micros = row.maybe_integer(26);
  s.estimate_micros = row.integer(27);
  s.parent_id = row.text(28);
  s.restore_from = row.text(29);
  s.resume_agent_session = row.text(30);
  s.checkpoint_every_s = row.integer(31);
  s.network = row.integer(32) != 0;
  s.keep_alive_s = row.integer(33);
  return s;
}

}  // namespace

Store::Store(std::shared_ptr<Database> database) : database_(std::move(database)) {}

Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::open(const std::filesystem::path& home) {
  auto database = Database::open(home);
  if (!database) return database.error();
  return std::unique_ptr<Store>(new Store(std::move(database).value()));
}

Result<std::unique_ptr<Store>> Store::over(std::shared_ptr<Database> database) {
  return std::unique_ptr<Store>(new Store(std::move(database)));
}

template <class F>
auto Store::guarded(F&& body) -> Result<decltype(body())> {
  return database_->run([&](sqlite::Connection& connection) {
    db_ = &connection;
    return body();
  });
}

Result<Done> Store::insert(const Session& s) {
  return guarded([&] {
    sqlite::Transaction transaction(*db_);
    db_->prepare(
           "INSERT INTO sessions (id, name, kind, task, backend, gpu, workspace, timeout_s, "
           "sandboxed, state, "
           "created_at, updated_at, cpu_milli, memory_milli_gib, max_cost_micros, estimate_micros, "
           "parent_id, restore_from, resume_agent_session, checkpoint_every_s, network, "
           "keep_alive_s) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(1, s.id)
        .bind(2, s.name)
        .bind(3, std::string(s.kind == SessionKind::task ? "task" : "command"))
        .bind(4, s.task)
        .bind(5, s.backend)
        .bind(6, s.gpu)
        .bind(7, s.workspace)
        .bind(8, s.timeout_s)
        .bind(9, std::int64_t{s.sandboxed})
        .bind(10, std::string(to_string(s.state)))
        .bind(11, s.created_at)
        .bind(12, s.created_at)
        .bind(13, s.cpu_milli)
        .bind(14, s.memory_milli_gib)
        .bind(15, s.max_cost_micros)
        .bind(16, s.estimate_micros)
        .bind(17, s.parent_id)
        .bind(18, s.restore_from)
        .bind(19, s.resume_agent_session)
        .bind(20, s.checkpoint_every_s)
        .bind(21, std::int64_t{s.network})
        .bind(22, s.keep_alive_s)
        .run();
    add_event(s.id, "transition", "", std::string(to_string(s.state)), "submitted");
    transaction.commit();
    return Done{};
  });
}

Result<Session> Store::get(const std::string& id) {
  auto found = guarded([&]() -> std::optional<Session> {
    // Cached: every status asks it.
    auto query =
        db_->cached(std::string("SELECT ") + kSessionColumns + " FROM sessions WHERE id = ?");
    query->bind(1, id);
    if (!query->step()) return std::nullopt;
    return read_session(*query);
  });
  if (!found) return found.error();
  if (!found.value()) {
    return Error{ErrorCode::not_found, "There is no session " + id + ".",
                 "List them with `parhelia session list` or the session tool's list action."};
  }
  return std::move(*found.value());
}

void Store::apply_update(const std::string& id, const SessionUpdate& u) {
  std::string changed_files;
  // A listing for people (the patch holds the exact names): a name that is not UTF-8 must
  // not stop the outcome from being recorded.
  if (u.changed_files)
    changed_files = nlohmann::json(*u.changed_files)
                        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  db_->prepare(
         "UPDATE sessions SET started_at = coalesce(?, started_at), finished_at = coalesce(?, "
         "finished_at), "
         "exit_code = coalesce(?, exit_code), supervisor_pid = coalesce(?, supervisor_pid), "
         "supervisor_start = coalesce(?, supervisor_start), claude_session_id = coalesce(?, "
         "claude_session_id), "
         "last_activity = coalesce(?, last_activity), last_activity_at = CASE WHEN ? IS NULL THEN "
         "last_activity_at ELSE ? END, result_text = coalesce(?, result_text), result_json = "
         "coalesce(?, "
         "result_json), error = coalesce(?, error), changed_files = coalesce(?, changed_files), "
         "updated_at = ? "
         "WHERE id = ?")
      .bind(1, u.started_at)
      .bind(2, u.finished_at)
      .bind(3, u.exit_code ? std::optional<std::int64_t>(*u.exit_code) : std::nullopt)
      .bind(4, u.supervisor_pid)
      .bind(5, u.supervisor_start)
      .bind(6, u.claude_session_id)
      .bind(7, u.last_activity)
      .bind(8, u.last_activity)
      .bind(9, now_ms())
      .bind(10, u.result_text)
      .bind(11, u.result_json)
      .bind(12, u.error)
      .bind(13, u.changed_files ? std::optional<std::string>(changed_files) : std::nullopt)
      .bind(14, now_ms())
      .bind(15, id)
      .run();
}

void Store::add_event(const std::string& id, const std::string& kind, const std::string& from,
                      const std::string& to, const std::string& detail) {
  db_->prepare(
         "INSERT INTO events (session_id, at, kind, from_state, to_state, detail) VALUES (?, ?, ?, "
         "?, ?, ?)")
      .bind(1, id)
      .bind(2, now_ms())
      .bind(3, kind)
      .bind(4, from)
      .bind(5, to)
      .bind(6, detail)
      .run();
}

Result<bool> Store::transition(const std::string& id, SessionState from, SessionState to,
                               const SessionUpdate& update, const std::string& detail) {
  if (!can_transition(from, to)) {
    return Error{ErrorCode::conflict,
                 "A session cannot go from " + std::string(to_string(from)) + " to " +
                     std::string(to_string(to)) + ".",
                 ""};
  }
  return guarded([&] {
    sqlite::Transaction transaction(*db_);
    auto move =
        db_->prepare("UPDATE sessions SET state = ?, updated_at = ? WHERE id = ? AND state = ?");
    move.bind(1, std::string(to_string(to)))
        .bind(2, now_ms())
        .bind(3, id)
        .bind(4, std::string(to_string(from)))
        .run();
    if (db_->changes() == 0) return false;
    apply_update(id, update);
    add_event(id, "transition", std::string(to_string(from)), std::string(to_string(to)), detail);
    transaction.commit();
    return true;
  });
}

Result<Done> Store::update(const std::string& id, const SessionUpdate& update) {
  return guarded([&] {
    sqlite::Transaction transaction(*db_);
    apply_update(id, update);
    transaction.commit();
    return Done{};
  });
}

Result<Done> Store::note(const std::string& id, const std::string& detail) {
  return guarded([&] {
    add_event(id, "note", "", "", detail);
    return Done{};
  });
}

Result<std::vector<Session>> Store::list(const SessionQuery& q) {
  return guarded([&] {
    std::string sql = std::string("SELECT ") + kSessionColumns + " FROM sessions WHERE 1";
    if (q.state) sql += " AND state = ?1";
    if (q.before) sql += " AND (created_at, id) < (?2, ?3)";
    sql += " ORDER BY created_at DESC, id DESC LIMIT ?4";
    auto query = db_->prepare(sql);
    if (q.state) query.bind(1, std::string(to_string(*q.state)));
    if (q.before) query.bind(2, q.before->first).bind(3, q.before->second);
    query.bind(4, static_cast<std::int64_t>(q.limit));
    std::vector<Session> sessions;
    while (query.step()) sessions.push_back(read_session(query));
    return sessions;
  });
}

Result<std::vector<std::string>> Store::children(const std::string& id) {
  return guarded([&] {
    auto query = db_->cached(
        "SELECT id FROM sessions WHERE parent_id = ? AND parent_id != '' ORDER BY created_at");
    query->bind(1, id);
    std::vector<std::string> ids;
    while (query->step()) ids.push_back(query->text(0));
    return ids;
  });
}

Result<std::vector<Session>> Store::live() {
  return guarded([&] {
    auto query =
        db_->prepare(std::string("SELECT ") + kSessionColumns +
                     " FROM sessions WHERE state IN ('queued', 'provisioning', 'running')");
    std::vector<Session> sessions;
    while (query.step()) sessions.push_back(read_session(query));
    return sessions;
  });
}

Result<std::map<SessionState, std::int64_t>> Store::count_by_state() {
  return guarded([&] {
    std::map<SessionState, std::int64_t> counts;
    auto query = db_->prepare("SELECT state, count(*) FROM sessions GROUP BY state");
    while (query.step()) {
      if (auto state = parse_session_state(query.text(0))) counts[*state] = query.integer(1);
    }
    return counts;
  });
}

Result<std::vector<SessionEvent>> Store::events(const std::string& id) {
  return guarded([&] {
    auto query = db_->cached(
        "SELECT at, kind, from_state, to_state, detail FROM events WHERE session_id = ? ORDER BY "
        "id");
    query->bind(1, id);
    std::vector<SessionEvent> events;
    while (query->step()) {
      events.push_back(
          {query->integer(0), query->text(1), query->text(2), query->text(3), query->text(4)});
    }
    return events;
  });
}

Result<std::vector<std::string>> Store::ids_starting_with(const std::string& prefix,
                                                          std::size_t limit) {
  return guarded([&] {
    auto query = db_->prepare(
        "SELECT id FROM sessions WHERE id >= ?1 AND id < ?1 || char(1114111) ORDER BY "
        "created_at DESC LIMIT ?2");
    query.bind(1, prefix).bind(2, static_cast<std::int64_t>(limit));
    std::vector<std::string> ids;
    while (query.step()) ids.push_back(query.text(0));
    return ids;
  });
}

}  // namespace parhelia::core
