// The session store: sessions and their events in Parhelia's database (core/store/database.h), which
// every Parhelia process reads and writes at once. Each method is one transaction, so a crash
// at any instant leaves either all of it or none.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/store/database.h"
#include "core/base/result.h"
#include "core/session/session.h"
#include "core/store/sqlite.h"

namespace parhelia::core {

// Facts to record along with a change of state or progress; unset fields stay as they are.
struct SessionUpdate {
  std::optional<std::int64_t> started_at;
  std::optional<std::int64_t> finished_at;
  std::optional<int> exit_code;
  std::optional<std::int64_t> supervisor_pid;
  std::optional<std::string> supervisor_start;
  std::optional<std::string> claude_session_id;
  std::optional<std::string> last_activity;
  std::optional<std::string> result_text;
  std::optional<std::string> result_json;
  std::optional<std::string> error;
  std::optional<std::vector<std::string>> changed_files;
};

struct SessionQuery {
  std::optional<SessionState> state;
  std::size_t limit = 20;
  // Keyset cursor: sessions created strictly before this one (newest first).
  std::optional<std::pair<std::int64_t, std::string>> before;
};

class Store {
 public:
  static Result<std::unique_ptr<Store>> open(const std::filesystem::path& home);
  static Result<std::unique_ptr<Store>> over(std::shared_ptr<Database> database);
  ~Store();

  const std::filesystem::path& path() const { return database_->path(); }
  std::uintmax_t size_bytes() const { return database_->size_bytes(); }
  const std::shared_ptr<Database>& database() const { return database_; }

  Result<Done> insert(const Session& session);
  Result<Session> get(const std::string& id);
  // Moves the session from `from` to `to` and records the event, if it is still in `from`.
  // Returns false when another process moved it first (nothing is changed then).
  Result<bool> transition(const std::string& id, SessionState from, SessionState to,
                          const SessionUpdate& update, const std::string& detail);
  Result<Done> update(const std::string& id, const SessionUpdate& update);
  Result<Done> note(const std::string& id, const std::string& detail);

  Result<std::vector<Session>> list(const SessionQuery& query);
  Result<std::vector<Session>> live();
  // The sessions resumed from this one, oldest first.
  Result<std::vector<std::string>> children(const std::string& id);
  Result<std::map<SessionState, std::int64_t>> count_by_state();
  Result<std::vector<SessionEvent>> events(const std::string& id);
  Result<std::vector<std::string>> ids_starting_with(const std::string& prefix, std::size_t limit);

 private:
  explicit Store(std::shared_ptr<Database> database);
  void apply_update(const std::string& id, const SessionUpdate& update);
  void add_event(const std::string& id, const std::string& kind, const std::string& from,
                 const std::string& to, const std::string& detail);
  template <class F>
  auto guarded(F&& body) -> Result<decltype(body())>;

  std::shared_ptr<Database> database_;
  sqlite::Connection* db_ = nullptr;  // the connection, while guarded() holds it
};

}  // namespace parhelia::core
