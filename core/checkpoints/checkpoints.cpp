#include "core/checkpoints/checkpoints.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "core/base/config_file.h"

namespace parhelia::core {
namespace {

namespace fs = std::filesystem;

constexpr const char* kColumns =
    "id, session_id, trigger, sha256, size_bytes, base_tree, workspace_tree, transcript_sha256, "
    "workspace_form, changed_files, claude_session_id, log_offset, spent_micros, created_at, "
    "sandbox_image, sandbox_image_expires_at";

Checkpoint read_checkpoint(const sqlite::Statement& row) {
  Checkpoint c;
  c.id = row.text(0);
  c.session_id = row.text(1);
  c.trigger = parse_checkpoint_trigger(row.text(2)).value_or(CheckpointTrigger::manual);
  c.sha256 = row.text(3);
  c.size_bytes = row.integer(4);
  c.base_tree = row.text(5);
  c.workspace_tree = row.text(6);
  c.transcript_sha256 = row.text(7);
  c.workspace_form = row.text(8);
  c.changed_files = row.integer(9);
  c.claude_session_id = row.text(10);
  c.log_offset = row.integer(11);
  c.spent = row.integer(12);
  c.created_at = row.integer(13);
  c.sandbox_image = row.text(14);
  c.sandbox_image_expires_at = row.integer(15);
  return c;
}

}  // namespace

std::string_view to_string(CheckpointTrigger trigger) {
  switch (trigger) {
    case CheckpointTrigger::manual:
      return "manual";
    case CheckpointTrigger::periodic:
      return "periodic";
    case CheckpointTrigger::timeout:
      return "timeout";
    case CheckpointTrigger::budget:
      return "budget";
    case CheckpointTrigger::stop:
      return "stop";
    case CheckpointTrigger::end:
      return "end";
  }
  return "manual";
}

std::optional<CheckpointTrigger> parse_checkpoint_trigger(std::string_view name) {
  for (auto t : {CheckpointTrigger::manual, CheckpointTrigger::periodic, CheckpointTrigger::timeout,
                 CheckpointTrigger::budget, CheckpointTrigger::stop, CheckpointTrigger::end}) {
    if (to_string(t) == name) return t;
  }
  return std::nullopt;
}

std::string new_checkpoint_id() {
  std::random_device random;
  char id[16];
  std::snprintf(id, sizeof id, "ck-%08x", random());
  return id;
}

bool is_checkpoint_id(std::string_view text) {
  if (text.size() != 11 || text.substr(0, 3) != "ck-") return false;
  for (char c : text.substr(3)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<CheckpointSettings> CheckpointSettings::load(const fs::path& home) {
  CheckpointSettings settings;
  auto section = config_section(home, "checkpoints");
  if (!section) return section.error();
  if (!section.value()) return settings;
  for (const auto& [key, value] : section.value()->items()) {
    if (key == "keep" && value.is_number_integer() && value.get<int>() >= 1 &&
        value.get<int>() <= 1000) {
      settings.keep = value.get<int>();
    } else if (key == "every_minutes" && value.is_number() && value.get<double>() >= 0 &&
               value.get<double>() <= 24 * 60) {
      settings.every_s = static_cast<std::int64_t>(value.get<double>() * 60);
    } else {
      return config_error(home, "checkpoints",
                          "checkpoints." + key +
                              " is not a setting (keep: 1 to 1000; every_minutes: 0 to "
                              "1440, 0 for none).");
    }
  }
  return settings;
}

CheckpointStore::CheckpointStore(std::shared_ptr<Database> database, fs::path home)
    : database_(std::move(database)), home_(std::move(home)) {}

fs::path CheckpointStore::file_of(const Checkpoint& checkpoint) const {
  return dir() / (checkpoint.sha256 + ".ckpt");
}

fs::path CheckpointStore::base_file(const std::string& tree) const {
  return dir() / "bases" / (tree + ".tar");
}

Result<std::optional<CheckpointBase>> CheckpointStore::base(const std::string& tree) {
  return database_->run([&](sqlite::Connection& db) -> std::optional<CheckpointBase> {
    auto query = db.cached("SELECT sha256, size_bytes FROM checkpoint_bases WHERE tree = ?");
    query->bind(1, tree);
    if (!query->step()) return std::nullopt;
    return CheckpointBase{tree, query->text(0), query->integer(1)};
  });
}

Result<Done> CheckpointStore::insert(const Checkpoint& c, const CheckpointBase& base) {
  return database_->run([&](sqlite::Connection& db) {
    sqlite::Transaction transaction(db);
    db.cached(
          "INSERT OR IGNORE INTO checkpoint_bases (tree, sha256, size_bytes, created_at) "
          "VALUES (?, ?, ?, ?)")
        ->bind(1, base.tree)
        .bind(2, base.sha256)
        .bind(3, base.size_bytes)
        .bind(4, c.created_at)
        .run();
    db.cached(std::string("INSERT INTO checkpoints (") + kColumns +
              ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        ->bind(1, c.id)
        .bind(2, c.session_id)
        .bind(3, std::string(to_string(c.trigger)))
        .bind(4, c.sha256)
        .bind(5, c.size_bytes)
        .bind(6, c.base_tree)
        .bind(7, c.workspace_tree)
        .bind(8, c.transcript_sha256)
        .bind(9, c.workspace_form)
        .bind(10, c.changed_files)
        .bind(11, c.claude_session_id)
        .bind(12, c.log_offset)
        .bind(13, c.spent)
        .bind(14, c.created_at)
        .bind(15, c.sandbox_image)
        .bind(16, c.sandbox_image_expires_at)
        .run();
    transaction.commit();
    return Done{};
  });
}

Result<Done> CheckpointStore::record_sandbox_image(const std::string& id, const std::string& image,
                                                   std::int64_t expires_at) {
  return database_->run([&](sqlite::Connection& db) {
    db.cached("UPDATE checkpoints SET sandbox_image = ?, sandbox_image_expires_at = ? WHERE id = ?")
        ->bind(1, image)
        .bind(2, expires_at)
        .bind(3, id)
        .run();
    return Done{};
  });
}

Result<Checkpoint> CheckpointStore::get(const std::string& id) {
  auto found = database_->run([&](sqlite::Connection& db) -> std::optional<Checkpoint> {
    auto query = db.cached(std::string("SELECT ") + kColumns + " FROM checkpoints WHERE id = ?");
    query->bind(1, id);
    if (!query->step()) return std::nullopt;
    return read_checkpoint(*query);
  });
  if (!found) return found.error();
  if (!found.value()) {
    return Error{ErrorCode::not_found, "There is no checkpoint " + id + ".",
                 "List a session's checkpoints with `parhelia checkpoint list SESSION`."};
  }
  return std::move(*found.value());
}

Result<std::vector<Checkpoint>> CheckpointStore::of_session(const std::string& session_id,
                                                            std::size_t limit) {
  return database_->run([&](sqlite::Connection& db) {
    auto query = db.cached(std::string("SELECT ") + kColumns +
                           " FROM checkpoints WHERE session_id = ? ORDER BY created_at DESC, "
                           "rowid DESC LIMIT ?");
    query->bind(1, session_id).bind(2, static_cast<std::int64_t>(limit));
    std::vector<Checkpoint> checkpoints;
    while (query->step()) checkpoints.push_back(read_checkpoint(*query));
    return checkpoints;
  });
}

Result<std::optional<Checkpoint>> CheckpointStore::latest(const std::string& session_id) {
  auto newest = of_session(session_id, 1);
  if (!newest) return newest.error();
  if (newest->empty()) return std::optional<Checkpoint>{};
  return std::optional<Checkpoint>{newest->front()};
}

void CheckpointStore::remove_files(const std::vector<Checkpoint>& removed) {
  std::error_code ec;
  for (const auto& c : removed) {
    fs::remove(file_of(c), ec);
    auto still_used = database_->run([&](sqlite::Connection& db) {
      auto query = db.cached("SELECT 1 FROM checkpoints WHERE base_tree = ? LIMIT 1");
      query->bind(1, c.base_tree);
      const bool used = query->step();
      if (!used) {
        db.cached("DELETE FROM checkpoint_bases WHERE tree = ?")->bind(1, c.base_tree).run();
      }
      return used;
    });
    if (still_used && !still_used.value()) fs::remove(base_file(c.base_tree), ec);
  }
}

Result<Done> CheckpointStore::remove(const std::string& id) {
  auto checkpoint = get(id);
  if (!checkpoint) return checkpoint.error();
  auto deleted = database_->run([&](sqlite::Connection& db) {
    db.cached("DELETE FROM checkpoints WHERE id = ?")->bind(1, id).run();
    return Done{};
  });
  if (!deleted) return deleted.error();
  remove_files({checkpoint.value()});
  return Done{};
}

Result<std::vector<std::string>> CheckpointStore::prune(const std::string& session_id, int keep) {
  auto doomed = database_->run([&](sqlite::Connection& db) {
    sqlite::Transaction transaction(db);
    auto query = db.cached(
        std::string("SELECT ") + kColumns +
        " FROM checkpoints WHERE session_id = ?1 AND id NOT IN (SELECT restore_from FROM "
        "sessions WHERE state IN ('queued', 'provisioning')) ORDER BY created_at DESC, rowid "
        "DESC LIMIT -1 OFFSET ?2");
    query->bind(1, session_id).bind(2, static_cast<std::int64_t>(keep));
    std::vector<Checkpoint> removed;
    while (query->step()) removed.push_back(read_checkpoint(*query));
    query->reset();
    for (const auto& c : removed)
      db.cached("DELETE FROM checkpoints WHERE id = ?")->bind(1, c.id).run();
    transaction.commit();
    return removed;
  });
  if (!doomed) return doomed.error();
  remove_files(doomed.value());
  std::vector<std::string> ids;
  for (const auto& c : doomed.value()) ids.push_back(c.id);
  return ids;
}

}  // namespace parhelia::core
