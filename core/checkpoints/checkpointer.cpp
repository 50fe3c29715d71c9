#include "core/checkpoints/checkpointer.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "core/agent/agent_transcript.h"
#include "core/base/sha256.h"
#include "core/session/session_files.h"
#include "core/workspace/git.h"
#include "core/workspace/workspace_snapshot.h"

namespace parhelia::core {
namespace {

namespace fs = std::filesystem;

// More changed files than this are kept as an archive of every file.
constexpr std::size_t kMostNamedFiles = 2000;

// flock() on the session's lock file for as long as it lives.
class SessionLock {
 public:
  explicit SessionLock(const fs::path& file) : fd_(::open(file.c_str(), O_CREAT | O_RDWR, 0600)) {
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~SessionLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  SessionLock(const SessionLock&) = delete;
  SessionLock& operator=(const SessionLock&) = delete;

 private:
  int fd_;
};

std::uint64_t size_of(const fs::path& file) {
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  return ec ? 0 : size;
}

nlohmann::json changes_json(const std::vector<FileChange>& changes) {
  auto list = nlohmann::json::array();
  for (const auto& c : changes) {
    list.push_back({{"path", c.path},
                    {"status", std::string(1, c.status)},
                    {"blob", c.blob},
                    {"size", c.size}});
  }
  return list;
}

// Leaves the staging directory empty behind it, however the checkpoint ends.
struct Staging {
  explicit Staging(fs::path d) : dir(std::move(d)) {
    std::error_code ec;
    fs::remove_all(dir, ec);
    fs::create_directories(dir, ec);
  }
  ~Staging() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  fs::path dir;
};

// The workspace files over the per-file cap, found without following a link or reading a
// byte: git is then told to leave them out, so it never reads them either.
std::vector<LeftOut> oversized_files(const WorkingCopy& working_copy, const fs::path& index_file,
                                     std::uint64_t cap, std::vector<std::string>& paths) {
  const fs::path& copy = working_copy.work_tree;
  std::vector<LeftOut> left_out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(
           copy, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it.depth() == 0 && it->path().filename() == ".git") {
      it.disable_recursion_pending();
      continue;
    }
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size <= cap) continue;
    const std::string path = it->path().lexically_relative(copy).string();
    left_out.push_back({path, size_words(size) + ", over the " + size_words(cap) +
                                  " a checkpoint keeps of a file"});
  }
  // An ignored file is never in a checkpoint anyway (large data and build outputs usually
  // are): not worth a word, and git refuses to be told of it. Ignored means untracked in the
  // checkpoints' own index, where there is one yet.
  if (!left_out.empty()) {
    std::vector<std::string> args = {"ls-files",           "-z", "--others", "--ignored",
                                     "--exclude-standard", "--"};
    for (const auto& item : left_out) args.push_back(item.path);
    std::error_code exists;
    GitOptions options{fs::exists(index_file, exists) ? index_file : fs::path(),
                       std::chrono::minutes(2), true};
    std::string ignored;
    if (auto listed = git(working_copy, args, options))
      ignored = std::string(1, '\0') + listed->out;
    std::erase_if(left_out, [&](const LeftOut& item) {
      return ignored.find('\0' + item.path + '\0') != std::string::npos;
    });
  }
  for (const auto& item : left_out) paths.push_back(item.path);
  return left_out;
}

// Should the changed files together pass `cap`, the largest are left out until the rest fit.
std::vector<LeftOut> over_total(const std::vector<FileChange>& changes, std::uint64_t cap,
                                std::vector<std::string>& paths) {
  std::vector<const FileChange*> kept;
  std::uint64_t total = 0;
  for (const auto& change : changes) {
    if (change.status == 'D') continue;
    kept.push_back(&change);
    total += change.size;
  }
  std::vector<LeftOut> left_out;
  if (total <= cap) return left_out;
  std::sort(kept.begin(), kept.end(),
            [](const FileChange* a, const FileChange* b) { return a->size > b->size; });
  for (const FileChange* change : kept) {
    if (total <= cap) break;
    total -= change->size;
    paths.push_back(change->path);
    left_out.push_back({change->path, size_words(change->size) + ", past the " + size_words(cap) +
                                          " a checkpoint keeps of changed files"});
  }
  return left_out;
}

}  // namespace

std::vector<FileChange> manifest_changes(const nlohmann::json& manifest) {
  std::vector<FileChange> changes;
  for (const auto& change : manifest.value("changes", nlohmann::json::array())) {
    const std::string status = change.value("status", "M");
    changes.push_back({change.value("path", ""), status.empty() ? 'M' : status[0],
                       change.value("blob", ""), change.value("size", std::uint64_t{0})});
  }
  return changes;
}

Checkpointer::Checkpointer(fs::path home, std::shared_ptr<Database> database,
                           CheckpointLimits limits)
    : home_(std::move(home)),
      sessions_(Store::over(database).value()),
      limits_(limits),
      ledger_(database),
      checkpoints_(database, home_) {}

Result<CheckpointBase> Checkpointer::ensure_base(const std::string& tree, const WorkingCopy& copy) {
  auto known = checkpoints_.base(tree);
  if (!known) return known.error();
  std::error_code ec;
  if (known.value() && fs::exists(checkpoints_.base_file(tree), ec)) return *known.value();
  const fs::path temporary = temporary_name(checkpoints_.dir(), ".tar");
  if (auto written = write_tree_archive(copy, "parhelia-base", {}, true, temporary); !written) {
    fs::remove(temporary, ec);
    return written.error();
  }
  auto digest = sha256_of_file(temporary);
  if (!digest) {
    fs::remove(temporary, ec);
    return Error{ErrorCode::io_failure, "Cannot read back " + temporary.string() + ".", ""};
  }
  CheckpointBase base{tree, *digest, static_cast<std::int64_t>(size_of(temporary))};
  fs::create_directories(checkpoints_.base_file(tree).parent_path(), ec);
  if (auto published = publish_file(temporary, checkpoints_.base_file(tree)); !published)
    return published.error();
  return base;
}

Result<CheckpointTaken> Checkpointer::take(const std::string& session_id, CheckpointTrigger trigger,
                                           const WriteProgress& progress) {
  const SessionFiles files = SessionFiles::of(home_, session_id);
  std::error_code ec;
  if (!fs::exists(files.git_dir, ec)) {
    return Error{ErrorCode::conflict,
                 "Session " + session_id +
                     " has no working copy to checkpoint (it never started, "
                     "or its files are gone).",
                 "Resume from one of its earlier checkpoints instead (`parhelia checkpoint list " +
                     session_id + "`)."};
  }
  if (auto successor = line_continued_by(home_, session_id)) {
    return Error{
        ErrorCode::conflict,
        "Session " + session_id + "'s work carries on in " + *successor +
            ", its resumed session, in the same directory.",
        "Checkpoint " + *successor + " instead (`parhelia checkpoint create " + *successor + "`)."};
  }
  auto settings = CheckpointSettings::load(home_);
  if (!settings) return settings.error();
  SessionLock lock(files.checkpoint_lock);
  auto session = sessions_->get(session_id);
  if (!session) return session.error();

  std::vector<std::string> leave_out;
  std::vector<LeftOut> left_out = oversized_files(files.working_copy(), files.checkpoint_index,
                                                  limits_.workspace_file_bytes, leave_out);
  auto snapshot = snapshot_workspace(files.working_copy(), files.checkpoint_index, leave_out);
  if (!snapshot) return snapshot.error();
  if (auto more = over_total(snapshot->changes, limits_.workspace_total_bytes, leave_out);
      !more.empty()) {
    left_out.insert(left_out.end(), more.begin(), more.end());
    snapshot = snapshot_workspace(files.working_copy(), files.checkpoint_index, leave_out);
    if (!snapshot) return snapshot.error();
  }
  Staging staging(files.checkpoint_staging);
  // Claude Code keeps its transcript under the key of the working directory it saw.
  const fs::path seen_workspace = work_paths(files, session->sandboxed).workspace;
  auto copied =
      copy_transcript(files.home, seen_workspace, staging.dir / "transcript", limits_.transcript);
  if (!copied) return copied.error();
  const TranscriptFiles& transcript = copied.value();
  left_out.insert(left_out.end(), transcript.left_out.begin(), transcript.left_out.end());

  auto latest = checkpoints_.latest(session_id);
  if (!latest) return latest.error();
  if (latest.value() && latest.value()->workspace_tree == snapshot->tree &&
      latest.value()->transcript_sha256 == transcript.sha256) {
    return CheckpointTaken{*latest.value(), true, {}, left_out};
  }

  auto base = ensure_base(snapshot->base_tree, files.working_copy());
  if (!base) return base.error();
  // The changed files alone, unless they are so many that naming them would not fit on a
  // command line: then every file.
  const bool whole_tree = snapshot->changes.size() > kMostNamedFiles;
  const std::string form = whole_tree ? "archive" : "files";
  const fs::path workspace_part = staging.dir / "workspace.tar";
  if (auto archived = write_tree_archive(files.working_copy(), snapshot->tree, snapshot->changes,
                                         whole_tree, workspace_part);
      !archived)
    return archived.error();

  Checkpoint c;
  c.id = new_checkpoint_id();
  c.session_id = session_id;
  c.trigger = trigger;
  c.base_tree = snapshot->base_tree;
  c.workspace_tree = snapshot->tree;
  c.transcript_sha256 = transcript.sha256;
  c.workspace_form = form;
  c.changed_files = static_cast<std::int64_t>(snapshot->changes.size());
  c.claude_session_id = session->claude_session_id;
  c.log_offset = static_cast<std::int64_t>(size_of(files.log));
  const auto spend = ledger_.sessions_spend({session_id});
  if (spend && spend->count(session_id)) c.spent = spend->at(session_id);
  c.created_at = now_ms();

  nlohmann::json manifest = {{"format", 1},
                             {"checkpoint_id", c.id},
                             {"session_id", session_id},
                             {"trigger", to_string(trigger)},
                             {"base_tree", c.base_tree},
                             {"base_sha256", base->sha256},
                             {"workspace_tree", c.workspace_tree},
                             {"workspace_form", form},
                             {"changes", changes_json(snapshot->changes)},
                             {"transcript_sha256", c.transcript_sha256},
                             {"claude_session_id", c.claude_session_id},
                             {"working_directory", seen_workspace.string()},
                             {"log_offset", c.log_offset},
                             {"spent_micros", c.spent},
                             {"created_at", c.created_at}};
  std::vector<CheckpointPart> parts = {{"workspace.tar", workspace_part}};
  for (const auto& [name, path] : transcript.files)
    parts.push_back({std::string(kTranscriptPart) + name, path});
  auto stored = write_checkpoint_file(checkpoints_.dir(), manifest, parts, progress);
  if (!stored) return stored.error();
  c.sha256 = stored->hash;
  c.size_bytes = static_cast<std::int64_t>(stored->size);
  if (auto inserted = checkpoints_.insert(c, base.value()); !inserted) {
    fs::remove(stored->path, ec);
    return inserted.error();
  }
  CheckpointTaken taken{c, false, {}, left_out};
  if (auto pruned = checkpoints_.prune(session_id, settings->keep)) taken.pruned = pruned.value();
  remove_stale_temporaries(checkpoints_.dir());
  return taken;
}

Result<Done> Checkpointer::restore(const Session& session) {
  auto checkpoint = checkpoints_.get(session.restore_from);
  if (!checkpoint) return checkpoint.error();
  const Checkpoint& c = checkpoint.value();
  const fs::path file = checkpoints_.file_of(c);
  if (auto whole = verify_stored_file(file, c.sha256); !whole) return whole.error();
  auto base = checkpoints_.base(c.base_tree);
  if (!base) return base.error();
  if (!base.value()) {
    return Error{ErrorCode::not_found,
                 "The starting files of checkpoint " + c.id + " are no longer stored.",
                 "Resume from another checkpoint."};
  }
  const fs::path base_file = checkpoints_.base_file(c.base_tree);
  if (auto whole = verify_stored_file(base_file, base.value()->sha256); !whole)
    return whole.error();
  auto manifest = read_checkpoint_manifest(file);
  if (!manifest) return manifest.error();

  const SessionFiles files = SessionFiles::of(home_, session.id);
  Staging staging(files.checkpoint_staging);
  if (auto extracted =
          extract_checkpoint_part(file, "workspace.tar", staging.dir / "workspace.tar");
      !extracted)
    return extracted.error();
  if (auto restored =
          restore_working_copy(base_file, c.base_tree, manifest_changes(manifest.value()),
                               staging.dir / "workspace.tar", c.workspace_form == "archive",
                               c.workspace_tree, files.working_copy(), files.checkpoint_index);
      !restored)
    return restored.error();

  // Under the key of the working directory the new session's agent sees, where its
  // `claude --resume` looks: the same as its parent's in the sandbox (session_files.h).
  const fs::path transcript =
      transcript_dir(files.home, work_paths(files, session.sandboxed).workspace);
  for (const auto& entry : manifest.value()["parts"]) {
    const std::string name = entry.value("name", "");
    if (name.rfind(kTranscriptPart, 0) != 0) continue;
    const fs::path relative = fs::path(name.substr(kTranscriptPart.size())).lexically_normal();
    if (relative.empty() || relative.is_absolute() || *relative.begin() == "..") continue;
    if (auto extracted = extract_checkpoint_part(file, name, transcript / relative); !extracted)
      return extracted.error();
  }
  if (!session.sandboxed && !session.parent_id.empty())
    return continue_line_in_place(home_, session.parent_id, session.id);
  return Done{};
}

// A failed checkpoint is noted and the work goes on: losing a checkpoint must not lose the
// session.
Result<CheckpointTaken> Checkpointer::take_and_note(const std::string& session_id,
                                                    CheckpointTrigger trigger) {
  auto taken = take(session_id, trigger);
  const std::string kind(to_string(trigger));
  if (!taken) {
    warn_on_error(
        sessions_->note(session_id, kind + " checkpoint failed: " + taken.error().sentence()),
        "noting a failed checkpoint");
    return taken;
  }
  if (taken->unchanged) return taken;
  const Checkpoint& c = taken->checkpoint;
  std::string note = "checkpoint " + c.id + " (" + kind + ", " + std::to_string(c.changed_files) +
                     " files changed, " + std::to_string(c.size_bytes) + " bytes)";
  if (!taken->left_out.empty()) note += "; " + left_out_sentence(taken->left_out);
  warn_on_error(sessions_->note(session_id, note), "noting a checkpoint");
  return taken;
}

}  // namespace parhelia::core
