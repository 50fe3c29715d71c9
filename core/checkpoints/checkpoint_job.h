// A checkpoint taken in a process of its own (`parhelia __checkpoint ID [TOKEN] --trigger T`),
// so that the supervisor's loop, which enforces the timeout, the budget and stop requests,
// never waits on one: a session can make its checkpoints slow (many or large files, or asking
// for them), and must not thereby stretch its own limits. One runs at a time; one that is still
// running when the loop cannot wait any longer is ended, with everything it started.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "core/checkpoints/checkpoints.h"
#include "core/base/process.h"
#include "core/base/result.h"

namespace parhelia::core {

class CheckpointJob {
 public:
  CheckpointJob(std::filesystem::path home, std::string session_id);
  ~CheckpointJob();  // one still running is ended
  CheckpointJob(const CheckpointJob&) = delete;
  CheckpointJob& operator=(const CheckpointJob&) = delete;

  // Starts one; `token`, when given, is the request it answers. Refused while one runs.
  Result<Done> start(CheckpointTrigger trigger, const std::string& token = "");
  // Whether one is running; one that has ended is reaped (and a request it left unanswered is
  // answered with the failure).
  bool running();
  // Waits for it to end until `deadline`; true when none is running any more.
  bool wait_until(std::chrono::steady_clock::time_point deadline);
  // Ends it now, with everything it started; a request it was answering is told why.
  void abandon(const std::string& why);
  // Its process, while one runs: the supervisor leaves it be when it ends the session's.
  std::optional<pid_t> pid() const;

 private:
  void answer_if_unanswered(const std::string& why);

  std::filesystem::path home_;
  std::string session_id_;
  std::optional<ChildProcess> child_;
  std::string token_;
};

}  // namespace parhelia::core
