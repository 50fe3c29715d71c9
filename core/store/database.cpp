#include "core/store/database.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace parhelia::core {

Database::Database(std::filesystem::path home)
    : home_(std::move(home)), path_(home_ / "parhelia.db") {}

Result<std::shared_ptr<Database>> Database::open(const std::filesystem::path& home) {
  std::shared_ptr<Database> database(new Database(home));
  std::lock_guard lock(database->mutex_);
  if (auto problem = database->connect()) return *problem;
  return database;
}

std::shared_ptr<Database> Database::open_on_first_use(const std::filesystem::path& home) {
  return std::shared_ptr<Database>(new Database(home));
}

std::optional<Error> Database::connect() {
  std::error_code ec;
  std::filesystem::create_directories(home_, ec);
  if (ec && !std::filesystem::is_directory(home_)) {  // another process may have made it first
    return Error{ErrorCode::io_failure, "cannot create " + home_.string() + ": " + ec.message(),
                 "Set PARHELIA_HOME to a writable directory."};
  }
  ::chmod(home_.c_str(), 0700);
  // The database is created 0600 before SQLite opens it (SQLite gives its WAL and shared-
  // memory files the database's permissions): session records are the user's alone. Only
  // when it does not exist yet (O_EXCL): closing any descriptor of a file drops every POSIX
  // lock this process holds on it, and another connection of this process to the database
  // holds SQLite's; without them, a process that closes its own connection believes it is
  // the last, and deletes the write-ahead log this one still writes to.
  if (const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600); fd >= 0)
    ::close(fd);
  ::chmod(path_.c_str(), 0600);
  // Several processes may open a new database at once: while one turns on WAL or migrates,
  // SQLite can answer another "locked" without waiting (busy_timeout does not cover every
  // step of that), so the whole opening is tried again for a while.
  for (int attempt = 1;; ++attempt) {
    try {
      connection_ = std::make_unique<sqlite::Connection>(path_.string());
      connection_->execute("PRAGMA busy_timeout = 10000");
      connection_->execute("PRAGMA journal_mode = WAL");
      connection_->execute("PRAGMA synchronous = NORMAL");
      connection_->execute("PRAGMA foreign_keys = ON");
      migrate();
      return std::nullopt;
    } catch (const sqlite::SqliteError& e) {
      connection_.reset();
      const int primary = e.code() & 0xff;
      if ((primary == SQLITE_BUSY || primary == SQLITE_LOCKED) && attempt < 100) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10 + attempt));
        continue;
      }
      return Error{
          ErrorCode::io_failure, std::string("cannot open the Parhelia database: ") + e.what(),
          "Check that " + home_.string() + " is writable and not on a network file system."};
    }
  }
}

void Database::migrate() {
  sqlite::Transaction transaction(*connection_);
  auto version_query = connection_->prepare("PRAGMA user_version");
  version_query.step();
  const auto version = static_cast<std::size_t>(version_query.integer(0));
  const std::size_t latest = schema_version();
  for (std::size_t v = version; v < latest; ++v) connection_->execute(schema_step(v));
  if (version < latest) connection_->execute("PRAGMA user_version = " + std::to_string(latest));
  transaction.commit();
}

std::uintmax_t Database::size_bytes() const {
  std::uintmax_t total = 0;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path_.string() + suffix, ec);
    if (!ec) total += size;
  }
  return total;
}

}  // namespace parhelia::core
