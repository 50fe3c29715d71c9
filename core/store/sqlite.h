// A thin RAII layer over the SQLite C API: a connection and prepared statements with typed
// binding and reading. Errors surface as SqliteError (exceptional I/O); the store turns them
// into Result values at its boundary.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace parhelia::core::sqlite {

class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

class Statement;
class StatementLease;

class Connection {
 public:
  explicit Connection(const std::string& path);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void execute(std::string_view sql);  // one or more statements, no results
  Statement prepare(std::string_view sql);
  // A statement prepared once per connection and reused: for hot paths (every charge). The
  // lease resets it when it goes, so no finished statement holds a read snapshot open.
  StatementLease cached(const std::string& sql);
  std::int64_t changes() const { return sqlite3_changes64(db_); }
  sqlite3* handle() { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::map<std::string, std::unique_ptr<Statement>> cache_;
};

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, const std::string& value);
  Statement& bind(int index, std::nullptr_t);
  template <class T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind(index, nullptr);
  }
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }

  // True while a row is available.
  bool step();
  void run() {
    while (step()) {
    }
  }

  std::int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }
  std::optional<std::int64_t> maybe_integer(int column) const;
  std::string text(int column) const;
  bool is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
  // Ready to run again, with no bindings.
  void reset();

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

class StatementLease {
 public:
  explicit StatementLease(Statement& statement) : statement_(statement) {}
  ~StatementLease() { statement_.reset(); }
  StatementLease(const StatementLease&) = delete;
  StatementLease& operator=(const StatementLease&) = delete;
  Statement* operator->() { return &statement_; }
  Statement& operator*() { return statement_; }

 private:
  Statement& statement_;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back if not committed: writers queue up behind each other
// through busy_timeout instead of failing half-way.
class Transaction {
 public:
  explicit Transaction(Connection& connection);
  ~Transaction();
  void commit();

 private:
  Connection& connection_;
  bool done_ = false;
};

}  // namespace parhelia::core::sqlite
