// The session service's checkpoints: taking one on request, listing, comparing and deleting
// them, and resuming a session from one.
#include <map>
#include <thread>

#include "core/checkpoints/checkpoint_file.h"
#include "core/checkpoints/checkpoint_request.h"
#include "core/service/sessions.h"

namespace parhelia::core {
namespace {

namespace fs = std::filesystem;

// What Claude Code is told when a session is resumed without a follow-up prompt.
constexpr const char* kCarryOn =
    "You were stopped part-way through this task and your work has been restored. Carry on "
    "from where you stopped and finish it.";
constexpr std::chrono::minutes kLongestCheckpointWait{10};

// The form of a checkpoint id, checked for every id of a request before any is looked up, so
// that a malformed one is always invalid input, never "not found" because another was.
std::optional<Error> checkpoint_id_problem(const std::string& id) {
  if (is_checkpoint_id(id)) return std::nullopt;
  return invalid("'" + id + "' is not a checkpoint id.",
                 "Checkpoint ids look like ck-0123abcd; list a session's with `parhelia "
                 "checkpoint list SESSION`.");
}

// A checkpoint's files as they differ from its base, by path, and its transcript's size.
struct ChangedFiles {
  std::map<std::string, FileChange> files;
  std::int64_t transcript_bytes = 0;
};

Result<ChangedFiles> changed_files(const fs::path& file) {
  auto manifest = read_checkpoint_manifest(file);
  if (!manifest) return manifest.error();
  ChangedFiles changed;
  for (auto& change : manifest_changes(manifest.value())) changed.files[change.path] = change;
  for (const auto& part : manifest.value()["parts"]) {
    if (part.value("name", "").rfind(kTranscriptPart, 0) == 0)
      changed.transcript_bytes += part.value("size", std::int64_t{0});
  }
  return changed;
}

}  // namespace

Result<SubmitRequest> SessionService::resume_request(const ResumeRequest& r) {
  Checkpoint from;
  // Both ids' forms before either is looked up: a malformed id is invalid input, whatever
  // the other.
  if (r.checkpoint_id) {
    if (auto wrong = checkpoint_id_problem(*r.checkpoint_id)) return *wrong;
  }
  if (!r.session_id.empty()) {
    if (auto parent = existing(r.session_id); !parent) return parent.error();
  }
  if (r.checkpoint_id) {
    auto found = checkpoint(*r.checkpoint_id);
    if (!found) return found.error();
    from = found.value();
    if (!r.session_id.empty() && from.session_id != r.session_id) {
      return invalid("Checkpoint " + from.id + " belongs to session " + from.session_id + ", not " +
                         r.session_id + ".",
                     "Resume " + from.session_id + " from it, or pick one of " + r.session_id +
                         "'s checkpoints.");
    }
  } else {
    if (r.session_id.empty())
      return invalid("Name the session to resume, or a checkpoint.", "Pass session_id.");
    auto latest = checkpoints_.latest(r.session_id);
    if (!latest) return latest.error();
    if (!latest.value()) {
      return Error{
          ErrorCode::not_found, "Session " + r.session_id + " has no checkpoints.",
          "Checkpoints are taken while it runs (every 10 minutes by default), when it is "
          "stopped, times out or reaches its budget, and with `parhelia checkpoint create " +
              r.session_id + "`."};
    }
    from = *latest.value();
  }
  auto parent = get(from.session_id);
  if (!parent) return parent.error();
  const Session& p = parent.value();
  if (!is_terminal(p.state)) {
    return Error{ErrorCode::conflict,
                 "Session " + p.id + " is still " + std::string(to_string(p.state)) + ".",
                 "Stop it first (stopping takes a checkpoint), then resume it; or take a "
                 "checkpoint with `parhelia checkpoint create " +
                     p.id + "` and keep it running."};
  }
  std::error_code ec;
  if (!fs::exists(checkpoints_.file_of(from), ec)) {
    return Error{
        ErrorCode::not_found, "The file of checkpoint " + from.id + " is missing.",
        "Delete it with `parhelia checkpoint delete " + from.id + "` and resume from another."};
  }
  const bool has_prompt = r.prompt && !r.prompt->empty();
  SubmitRequest q;
  if (p.kind == SessionKind::task) {
    if (has_prompt) {
      q.task = *r.prompt;
    } else {
      // Without Claude Code's conversation there is nothing to carry on: start the task again.
      q.task = from.claude_session_id.empty() ? p.task : kCarryOn;
    }
    q.resume_agent_session = from.claude_session_id;
  } else {
    if (has_prompt) {
      return invalid("Session " + p.id +
                         " ran a command; a follow-up prompt is for Claude Code "
                         "tasks.",
                     "Resume it without a prompt: its command runs again in the restored files.");
    }
    q.command = p.task;
  }
  q.gpu = r.gpu.value_or(p.gpu);
  q.backend = r.backend.value_or(p.backend);
  q.workspace = p.workspace;
  q.name = p.name;
  q.timeout_s = r.timeout_s.value_or(p.timeout_s);
  q.no_sandbox = !p.sandboxed;
  q.network = p.network;
  if (p.cpu_milli > 0) q.cpu_milli = p.cpu_milli;
  if (p.memory_milli_gib > 0) q.memory_milli_gib = p.memory_milli_gib;
  if (r.cpu_milli) q.cpu_milli = *r.cpu_milli;
  if (r.memory_milli_gib) q.memory_milli_gib = *r.memory_milli_gib;
  q.max_cost = r.max_cost;
  q.checkpoint_every_s = p.checkpoint_every_s;
  q.parent_id = p.id;
  q.restore_from = from.id;
  return q;
}

Result<Session> SessionService::resume(const ResumeRequest& request) {
  auto submit_request = resume_request(request);
  if (!submit_request) return submit_request.error();
  return submit(submit_request.value());
}

Result<CheckpointCreated> SessionService::create_checkpoint(const std::string& id,
                                                            const std::function<bool()>& on_wait) {
  auto session = get(id);
  if (!session) return session.error();
  if (session->state == SessionState::queued || session->state == SessionState::provisioning) {
    return Error{ErrorCode::conflict, "Session " + id + " has not started yet.",
                 "Checkpoint it once it is running."};
  }
  auto backend = backend_of(session.value());
  if (!backend) return backend.error();
  const std::string token = new_request_token();
  if (auto asked = backend.value()->request_checkpoint(session.value(), token); !asked)
    return asked.error();
  const auto give_up = std::chrono::steady_clock::now() + kLongestCheckpointWait;
  while (std::chrono::steady_clock::now() < give_up) {
    if (auto answer = backend.value()->checkpoint_answer(session.value(), token)) {
      if (!answer->error.empty()) return Error{ErrorCode::io_failure, answer->error, ""};
      auto checkpoint = checkpoints_.get(answer->checkpoint_id);
      if (!checkpoint) return checkpoint.error();
      return CheckpointCreated{checkpoint.value(), answer->unchanged};
    }
    // A session that ended before its supervisor saw the request: ask its files instead.
    if (auto now = store_->get(id);
        now && is_terminal(now->state) && !is_terminal(session->state)) {
      session = now.value();
      if (auto asked = backend.value()->request_checkpoint(session.value(), token); !asked)
        return asked.error();
    }
    if (on_wait && !on_wait()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Error{ErrorCode::conflict, "The checkpoint of " + id + " is still being taken.",
               "It appears in `parhelia checkpoint list " + id + "` when done."};
}

Result<std::vector<Checkpoint>> SessionService::checkpoints(const std::string& id) {
  if (auto session = existing(id); !session) return session.error();
  return checkpoints_.of_session(id);
}

Result<Checkpoint> SessionService::checkpoint(const std::string& checkpoint_id) {
  if (auto wrong = checkpoint_id_problem(checkpoint_id)) return *wrong;
  return checkpoints_.get(checkpoint_id);
}

Result<CheckpointDiff> SessionService::diff_checkpoints(const std::string& from_id,
                                                        const std::string& to_id) {
  for (const std::string* id : {&from_id, &to_id}) {
    if (auto wrong = checkpoint_id_problem(*id)) return *wrong;
  }
  auto from = checkpoint(from_id);
  if (!from) return from.error();
  auto to = checkpoint(to_id);
  if (!to) return to.error();
  if (from->base_tree != to->base_tree) {
    return invalid("Checkpoints " + from_id + " and " + to_id +
                       " started from different files, so they cannot be compared.",
                   "Compare checkpoints of one session, or of a session and those resumed from "
                   "it.");
  }
  auto a = changed_files(checkpoints_.file_of(from.value()));
  if (!a) return a.error();
  auto b = changed_files(checkpoints_.file_of(to.value()));
  if (!b) return b.error();
  CheckpointDiff diff{from.value(), to.value(), {}, a->transcript_bytes, b->transcript_bytes};
  std::map<std::string, bool> paths;
  for (const auto& [path, _] : a->files) paths[path] = true;
  for (const auto& [path, _] : b->files) paths[path] = true;
  for (const auto& [path, _] : paths) {
    const auto in_a = a->files.find(path);
    const auto in_b = b->files.find(path);
    // A path either checkpoint added is not in the base; one it changed or deleted is.
    const bool in_base = !(in_a != a->files.end() && in_a->second.status == 'A') &&
                         !(in_b != b->files.end() && in_b->second.status == 'A');
    // Its content in a checkpoint: a blob id, "base", or nothing when absent.
    const auto state =
        [&](const ChangedFiles& c,
            std::map<std::string, FileChange>::const_iterator it) -> std::optional<std::string> {
      if (it != c.files.end()) {
        if (it->second.status == 'D') return std::nullopt;
        return it->second.blob;
      }
      return in_base ? std::optional<std::string>("base") : std::nullopt;
    };
    const auto before = state(a.value(), in_a);
    const auto after = state(b.value(), in_b);
    if (before == after) continue;
    CheckpointDiff::File file{path, 'M', 0};
    if (!before) file.change = 'A';
    if (!after) file.change = 'D';
    if (in_b != b->files.end()) file.size = in_b->second.size;
    diff.files.push_back(file);
  }
  return diff;
}

Result<Done> SessionService::delete_checkpoint(const std::string& checkpoint_id) {
  if (auto found = checkpoint(checkpoint_id); !found) return found.error();
  return checkpoints_.remove(checkpoint_id);
}

}  // namespace parhelia::core
