// Backends of the tests' own, composed with the local one into a parhelia for the tests
// (the parhelia_test_backends binary: cli/main.cpp around tests/support/test_backends_main.cpp,
// at PARHELIA_TEST_BACKENDS_BINARY):
// - `process`: the session's supervisor runs as a plain child process of its own session
//   (setsid), with no tmux and so no terminal. The session suite runs against it as against
//   the local backend, which proves that the service and both faces need the port alone.
// - `remote`: sessions a test records itself with the SSH endpoint of a "container" (a real
//   sshd on 127.0.0.1): their terminal is reached over SSH, as a container's is. It starts
//   nothing.
#pragma once

#include <filesystem>
#include <string>

#include "core/local/child_reaper.h"
#include "core/service/backend.h"

namespace parhelia::testing {

class ProcessBackend final : public core::Backend {
 public:
  ProcessBackend(std::filesystem::path home, std::string parhelia);
  std::string_view name() const override { return "process"; }
  std::string_view priced_as() const override { return "local"; }  // it runs on this machine
  core::Result<core::WorkCommand> plan(const core::Session& session) override;
  core::Result<core::Done> launch(const core::Session& session, LaunchFailure on_failure) override;
  int supervise(core::Store& store, const core::Session& session,
                const core::RateTable& rates) override;
  core::BackendView inspect(const core::Session& session) override;
  core::Result<core::Done> stop(const core::Session& session, int grace_s) override;
  core::Result<core::Done> request_checkpoint(const core::Session& session,
                                              const std::string& token) override;
  std::optional<core::CheckpointAnswer> checkpoint_answer(const core::Session& session,
                                                          const std::string& token) override;
  core::TerminalPlace terminal(const core::Session& session) const override;
  bool terminal_answers(const core::Session&) const override { return false; }
  // The session directories it launched (each holds its supervisor's output, process.out).
  core::Result<std::vector<core::BackendListing>> list() override;

 private:
  std::filesystem::path home_;
  std::string parhelia_;
  core::ChildReaper reaper_;
};

class RecordedRemoteBackend final : public core::Backend {
 public:
  std::string_view name() const override { return "remote"; }
  core::Result<core::WorkCommand> plan(const core::Session& session) override;
  core::Result<core::Done> launch(const core::Session& session, LaunchFailure on_failure) override;
  int supervise(core::Store&, const core::Session&, const core::RateTable&) override { return 1; }
  // A recorded session lives as long as the test's sshd does; the test ends it.
  core::BackendView inspect(const core::Session& session) override;
  core::Result<core::Done> stop(const core::Session& session, int grace_s) override;
  core::Result<core::Done> request_checkpoint(const core::Session& session,
                                              const std::string& token) override;
  std::optional<core::CheckpointAnswer> checkpoint_answer(const core::Session&,
                                                          const std::string&) override {
    return std::nullopt;
  }
  core::TerminalPlace terminal(const core::Session& session) const override;
  bool terminal_answers(const core::Session&) const override { return false; }
  core::Result<std::vector<core::BackendListing>> list() override {
    return std::vector<core::BackendListing>{};
  }
};

}  // namespace parhelia::testing
