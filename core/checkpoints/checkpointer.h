// Taking and restoring checkpoints. A checkpoint holds what a new session needs to carry on
// where a session stopped: its files (a patch against its base, or an archive when smaller),
// Claude Code's transcript and session id, how far its log had come and what it had spent.
// Taking one is safe beside the running agent; two of one session never run at once.
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/agent/agent_transcript.h"
#include "core/base/left_out.h"
#include "core/budget/ledger.h"
#include "core/checkpoints/checkpoint_file.h"
#include "core/checkpoints/checkpoints.h"
#include "core/session/session.h"
#include "core/store/database.h"
#include "core/store/store.h"
#include "core/workspace/workspace_snapshot.h"

namespace parhelia::core {

// Manifest parts named under this hold Claude Code's transcript files.
inline constexpr std::string_view kTranscriptPart = "transcript/";

// The files a checkpoint's manifest lists as changed since its base, as they were written.
std::vector<FileChange> manifest_changes(const nlohmann::json& manifest);

struct CheckpointTaken {
  Checkpoint checkpoint;
  bool unchanged = false;  // nothing changed since the previous one, which is returned
  std::vector<std::string> pruned;
  std::vector<LeftOut> left_out;  // what the session wrote that this checkpoint does not hold
};

// How much of what a session wrote one checkpoint copies. A workspace file over
// `workspace_file_bytes` is left out of the checkpoint (not out of the session), and so are the
// largest changed files once all of them together pass `workspace_total_bytes`.
struct CheckpointLimits {
  TranscriptLimits transcript;
  std::uint64_t workspace_file_bytes = std::uint64_t{512} << 20;
  std::uint64_t workspace_total_bytes = std::uint64_t{2} << 30;
};

class Checkpointer {
 public:
  Checkpointer(std::filesystem::path home, std::shared_ptr<Database> database,
               CheckpointLimits limits = {});

  Result<CheckpointTaken> take(const std::string& session_id, CheckpointTrigger trigger,
                               const WriteProgress& progress = {});
  // The same, and the session's events told what became of it: the checkpoint made, what it
  // left out, or why it failed.
  Result<CheckpointTaken> take_and_note(const std::string& session_id, CheckpointTrigger trigger);
  // Builds a new session's working copy and transcript from the checkpoint it starts from
  // (session.restore_from), after proving the stored files whole.
  Result<Done> restore(const Session& session);

  CheckpointStore& store() { return checkpoints_; }
  const std::filesystem::path& home() const { return home_; }

 private:
  Result<CheckpointBase> ensure_base(const std::string& tree, const WorkingCopy& copy);

  std::filesystem::path home_;
  std::unique_ptr<Store> sessions_;
  CheckpointLimits limits_;
  Ledger ledger_;
  CheckpointStore checkpoints_;
};

}  // namespace parhelia::core
