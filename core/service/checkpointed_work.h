// Work whose checkpoints are taken in processes of their own (`parhelia __checkpoint`,
// checkpoint_job.h), one at a time, asked for through the session's request file: how both
// the local supervisor and the Modal one answer the run policy's checkpoint questions. The
// checkpoint process asks the session's backend to bring its files here first
// (Backend::bring_files_here), so this is the same wherever the work runs.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "core/checkpoints/checkpoint_job.h"
#include "core/checkpoints/checkpoint_request.h"
#include "core/service/run_policy.h"
#include "core/session/session_files.h"

namespace parhelia::core {

class CheckpointedWork : public RunningWork {
 public:
  CheckpointedWork(const std::filesystem::path& home, const std::string& session_id,
                   const SessionFiles& files)
      : files_(files), job_(home, session_id) {}

  Result<Done> start_checkpoint(CheckpointTrigger trigger, const std::string& token) override {
    return job_.start(trigger, token);
  }
  bool checkpoint_running() override { return job_.running(); }
  bool wait_for_checkpoint(std::chrono::steady_clock::time_point deadline) override {
    return job_.wait_until(deadline);
  }
  void abandon_checkpoint(const std::string& why) override { job_.abandon(why); }
  std::optional<std::string> take_checkpoint_request() override {
    return core::take_checkpoint_request(files_);
  }

 protected:
  // The checkpoint's process, while one runs.
  std::optional<pid_t> checkpoint_pid() const { return job_.pid(); }

 private:
  const SessionFiles& files_;
  CheckpointJob job_;
};

}  // namespace parhelia::core
