// Parhelia's one SQLite database under $PARHELIA_HOME, shared by the session store, the ledger
// and the budget: every Parhelia process (MCP servers, the CLI, session supervisors) opens it
// at once. WAL, busy_timeout, foreign keys, migrations by user_version; the file is 0600 in a
// 0700 directory. One connection per process object, used by one thread at a time.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>

#include "core/base/result.h"
#include "core/store/sqlite.h"

namespace parhelia::core {

class Database {
 public:
  static Result<std::shared_ptr<Database>> open(const std::filesystem::path& home);
  // The same, but the file is opened (and made, and migrated) by the first run(), which
  // returns the error if that fails: for a server, whose first answers need no database.
  static std::shared_ptr<Database> open_on_first_use(const std::filesystem::path& home);

  const std::filesystem::path& path() const { return path_; }
  std::uintmax_t size_bytes() const;

  // Runs `body(connection)` holding the connection; a SQLite failure becomes an Error.
  template <class F>
  auto run(F&& body) -> Result<decltype(body(std::declval<sqlite::Connection&>()))> {
    std::lock_guard lock(mutex_);
    if (!connection_) {
      if (auto problem = connect()) return *problem;
    }
    try {
      return body(*connection_);
    } catch (const sqlite::SqliteError& e) {
      return Error{ErrorCode::io_failure, std::string("the Parhelia database failed: ") + e.what(),
                   "Try again; if it persists, run `parhelia doctor`."};
    }
  }

 private:
  explicit Database(std::filesystem::path home);
  // Opens, makes and migrates the file; the error when it cannot.
  std::optional<Error> connect();
  void migrate();

  std::filesystem::path home_;

  std::filesystem::path path_;
  std::unique_ptr<sqlite::Connection> connection_;
  std::mutex mutex_;
};

// The schema, one step per entry: entry i moves the database from version i to i + 1.
// Never edit an entry that has shipped; add one.
std::size_t schema_version();
const char* schema_step(std::size_t index);

}  // namespace parhelia::core
