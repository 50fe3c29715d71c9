#include "core/checkpoints/checkpoint_job.h"

#include <signal.h>

#include <thread>

#include "core/base/environment.h"
#include "core/checkpoints/checkpoint_request.h"
#include "core/session/session_files.h"

namespace parhelia::core {

CheckpointJob::CheckpointJob(std::filesystem::path home, std::string session_id)
    : home_(std::move(home)), session_id_(std::move(session_id)) {}

CheckpointJob::~CheckpointJob() {
  if (running()) abandon("The session's supervisor ended before the checkpoint finished.");
}

Result<Done> CheckpointJob::start(CheckpointTrigger trigger, const std::string& token) {
  if (running()) {
    return Error{ErrorCode::conflict, "A checkpoint of session " + session_id_ + " is running.",
                 "Wait for it to finish."};
  }
  ProcessSpec spec;
  spec.argv = {running_executable(), "__checkpoint", session_id_};
  if (!token.empty()) spec.argv.push_back(token);
  spec.argv.insert(spec.argv.end(), {"--trigger", std::string(to_string(trigger))});
  spec.environment = environment_with({"PARHELIA_HOME=" + home_.string()});
  spec.new_session = true;  // its own process group: ending it ends the git it runs
  auto child = ChildProcess::start(spec);
  if (!child) {
    token_ = token;
    answer_if_unanswered("The checkpoint could not be started: " + child.error().sentence());
    token_.clear();
    return child.error();
  }
  child_.emplace(std::move(child).value());
  token_ = token;
  return Done{};
}

bool CheckpointJob::running() {
  if (!child_) return false;
  const auto status = child_->wait_for(std::chrono::milliseconds(0));
  if (!status) return true;
  if (*status != 0)
    answer_if_unanswered("The checkpoint failed (status " + std::to_string(*status) + ").");
  child_.reset();
  token_.clear();
  return false;
}

bool CheckpointJob::wait_until(std::chrono::steady_clock::time_point deadline) {
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

void CheckpointJob::abandon(const std::string& why) {
  if (!child_) return;
  ::kill(-child_->pid(), SIGKILL);
  child_->wait_for(std::chrono::seconds(5));
  answer_if_unanswered(why);
  child_.reset();  // reaps it, should the group kill have missed it
  token_.clear();
}

std::optional<pid_t> CheckpointJob::pid() const {
  if (!child_) return std::nullopt;
  return child_->pid();
}

void CheckpointJob::answer_if_unanswered(const std::string& why) {
  if (token_.empty()) return;
  const SessionFiles files = SessionFiles::of(home_, session_id_);
  if (!read_checkpoint_answer(files, token_))
    write_checkpoint_answer(files, {token_, "", false, why});
}

}  // namespace parhelia::core
