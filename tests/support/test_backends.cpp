#include "tests/support/test_backends.h"

#include "core/base/process.h"
#include "core/checkpoints/checkpoint_request.h"
#include "core/local/supervised_session.h"
#include "core/local/supervisor.h"
#include "core/session/session_files.h"

namespace parhelia::testing {

using core::Done;
using core::Error;
using core::ErrorCode;
using core::Result;
using core::Session;

ProcessBackend::ProcessBackend(std::filesystem::path home, std::string parhelia)
    : home_(std::move(home)), parhelia_(std::move(parhelia)) {}

Result<core::WorkCommand> ProcessBackend::plan(const Session& session) {
  return core::plan_local_work(home_, session);
}

Result<Done> ProcessBackend::launch(const Session& session, LaunchFailure on_failure) {
  if (auto created = core::create_session_dir(home_, session); !created) return created.error();
  auto environment = core::supervisor_launch_environment(home_, session);
  if (!environment) return environment.error();
  return core::launch_detached_supervisor(home_, parhelia_, session, std::move(environment).value(),
                                          "process.out", reaper_, std::move(on_failure));
}

int ProcessBackend::supervise(core::Store& store, const Session& session,
                              const core::RateTable& rates) {
  return core::supervise_here(home_, store, session, rates, *this);
}

core::BackendView ProcessBackend::inspect(const Session& session) {
  return core::inspect_supervised(home_, session);
}

Result<Done> ProcessBackend::stop(const Session& session, int grace_s) {
  return core::stop_supervised(home_, session, grace_s);
}

Result<Done> ProcessBackend::request_checkpoint(const Session& session, const std::string& token) {
  return core::checkpoint_supervised(home_, parhelia_, session, token, reaper_);
}

std::optional<core::CheckpointAnswer> ProcessBackend::checkpoint_answer(const Session& session,
                                                                        const std::string& token) {
  return core::read_checkpoint_answer(core::SessionFiles::of(home_, session.id), token);
}

core::TerminalPlace ProcessBackend::terminal(const Session& session) const {
  core::TerminalPlace place;
  place.why_none = "Session " + session.id +
                   " runs on the process backend, which gives it no terminal to attach to.";
  return place;
}

Result<std::vector<core::BackendListing>> ProcessBackend::list() {
  std::vector<core::BackendListing> listed;
  for (const std::string& id : core::session_ids_on_disk(home_)) {
    std::error_code ec;
    if (std::filesystem::exists(core::SessionFiles::of(home_, id).dir / "process.out", ec))
      listed.push_back({id, false});
  }
  return listed;
}

namespace {

Error starts_nothing() {
  return Error{ErrorCode::invalid_input,
               "The remote test backend holds only the sessions a test records; it starts none.",
               "Submit to the local or the process backend."};
}

}  // namespace

Result<core::WorkCommand> RecordedRemoteBackend::plan(const Session&) {
  return starts_nothing();
}

Result<Done> RecordedRemoteBackend::launch(const Session&, LaunchFailure) {
  return starts_nothing();
}

core::BackendView RecordedRemoteBackend::inspect(const Session&) {
  return {core::BackendView::Presence::alive, std::nullopt, false};
}

Result<Done> RecordedRemoteBackend::stop(const Session&, int) {
  return Error{ErrorCode::unavailable, "The remote test backend cannot stop its sessions.",
               "End the test's sshd instead."};
}

Result<Done> RecordedRemoteBackend::request_checkpoint(const Session&, const std::string&) {
  return Error{ErrorCode::unavailable, "The remote test backend takes no checkpoints.", ""};
}

core::TerminalPlace RecordedRemoteBackend::terminal(const Session&) const {
  core::TerminalPlace place;
  place.kind = core::TerminalPlace::Kind::over_ssh;
  return place;
}

}  // namespace parhelia::testing
