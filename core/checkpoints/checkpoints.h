// Checkpoints as recorded: one row per checkpoint in the database, its file in the
// content-addressed store under $PARHELIA_HOME/checkpoints/ (<sha256>.ckpt), and the bases
// the workspace patches apply to (bases/<tree>.tar), shared by every checkpoint of the same
// starting files. A row is written only after its file is complete and verified, so a listed
// checkpoint always has its file.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/money.h"
#include "core/base/result.h"
#include "core/store/database.h"

namespace parhelia::core {

enum class CheckpointTrigger { manual, periodic, timeout, budget, stop, end };
std::string_view to_string(CheckpointTrigger trigger);
std::optional<CheckpointTrigger> parse_checkpoint_trigger(std::string_view name);

struct CheckpointBase {
  std::string tree;
  std::string sha256;
  std::int64_t size_bytes = 0;
};

struct Checkpoint {
  std::string id;  // "ck-" + 8 hex characters
  std::string session_id;
  CheckpointTrigger trigger = CheckpointTrigger::manual;
  std::string sha256;  // of its file, which is named after it
  std::int64_t size_bytes = 0;
  std::string base_tree;
  std::string workspace_tree;
  std::string transcript_sha256;
  std::string workspace_form = "files";  // the changed files; "archive": every file
  std::int64_t changed_files = 0;        // against the session's starting files
  std::string claude_session_id;
  std::int64_t log_offset = 0;
  Micros spent = 0;
  std::int64_t created_at = 0;
  // The copy of the session's whole sandbox its backend keeps beside this one (a Modal
  // filesystem snapshot: an image a new sandbox starts from) until it expires; "" for none.
  std::string sandbox_image;
  std::int64_t sandbox_image_expires_at = 0;  // ms since the epoch
  bool sandbox_image_usable(std::int64_t now) const {
    return !sandbox_image.empty() && sandbox_image_expires_at > now;
  }
};

std::string new_checkpoint_id();
bool is_checkpoint_id(std::string_view text);

// How checkpoints are kept: `checkpoints` in $PARHELIA_HOME/config.json, e.g.
// {"checkpoints": {"keep": 5, "every_minutes": 10}}.
struct CheckpointSettings {
  int keep = 5;                // per session; older ones are pruned
  std::int64_t every_s = 600;  // periodic checkpoints while running (0: none)
  static Result<CheckpointSettings> load(const std::filesystem::path& home);
};

class CheckpointStore {
 public:
  CheckpointStore(std::shared_ptr<Database> database, std::filesystem::path home);

  std::filesystem::path dir() const { return home_ / "checkpoints"; }
  std::filesystem::path file_of(const Checkpoint& checkpoint) const;
  std::filesystem::path base_file(const std::string& tree) const;

  Result<std::optional<CheckpointBase>> base(const std::string& tree);
  // Records a checkpoint whose file (and base file) are already in place.
  Result<Done> insert(const Checkpoint& checkpoint, const CheckpointBase& base);
  Result<Checkpoint> get(const std::string& id);
  // Adds the backend's copy of the sandbox to a recorded checkpoint.
  Result<Done> record_sandbox_image(const std::string& id, const std::string& image,
                                    std::int64_t expires_at);
  // Newest first.
  Result<std::vector<Checkpoint>> of_session(const std::string& session_id,
                                             std::size_t limit = 1000);
  Result<std::optional<Checkpoint>> latest(const std::string& session_id);
  // Deletes the row, then its file and its base's when nothing else needs them.
  Result<Done> remove(const std::string& id);
  // Keeps the newest `keep` of a session (and any a session waiting to start restores from);
  // returns the ids removed.
  Result<std::vector<std::string>> prune(const std::string& session_id, int keep);

 private:
  void remove_files(const std::vector<Checkpoint>& removed);

  std::shared_ptr<Database> database_;
  std::filesystem::path home_;
};

}  // namespace parhelia::core
