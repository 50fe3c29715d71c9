// The Modal backend: sessions in Modal sandboxes, followed from this machine by a detached
// supervisor of their own (`parhelia __supervise ID`, modal_supervisor.h) that the port's
// launch() starts. Everything the session service asks of it but a stop is answered from this
// machine (the supervisor's process, the session's files): no network on a status's path.
#pragma once

#include <filesystem>
#include <string>

#include "core/local/child_reaper.h"
#include "core/service/backend.h"

namespace parhelia::modal {

class ModalBackend final : public core::Backend {
 public:
  // `parhelia` is the program launch() starts as `parhelia __supervise ID`.
  ModalBackend(std::filesystem::path home, std::string parhelia);

  std::string_view name() const override { return "modal"; }
  // Refuses before anything is made: no Modal token, a task with no way to sign Claude Code
  // in, a config.json "modal" section that cannot be used. No network.
  core::Result<core::WorkCommand> plan(const core::Session& session) override;
  // The session's image, built by Modal now (its build log to `progress`) unless remembered.
  core::Result<core::Done> make_ready(const core::Session& session,
                                      const ProgressLine& progress) override;
  core::Result<core::Done> launch(const core::Session& session, LaunchFailure on_failure) override;
  int supervise(core::Store& store, const core::Session& session,
                const core::RateTable& rates) override;
  // From the supervisor's process; a live session whose supervisor died while its sandbox runs
  // gets a new one, which takes over (no network here: that process makes the calls).
  core::BackendView inspect(const core::Session& session) override;
  // To the session's supervisor, which stops the work and brings its changes back; with no
  // supervisor left, the sandbox is terminated through Modal's API.
  core::Result<core::Done> stop(const core::Session& session, int grace_s) override;
  // As for a local session: to its supervisor's loop while it runs, to a checkpoint process
  // once it has ended (its files are here then).
  core::Result<core::Done> request_checkpoint(const core::Session& session,
                                              const std::string& token) override;
  std::optional<core::CheckpointAnswer> checkpoint_answer(const core::Session& session,
                                                          const std::string& token) override;
  // What the work changed in its sandbox, copied onto the working copy here while the sandbox
  // runs (network: only from a checkpoint's process). A session that has ended has its last
  // files here already.
  core::Result<core::Done> bring_files_here(const core::Session& session) override;
  // A filesystem snapshot of its sandbox while it runs (Modal keeps it kSnapshotDays).
  core::Result<std::optional<SandboxCopy>> copy_sandbox(const core::Session& session) override;
  // Over SSH: the sandbox's sshd through Modal's tunnel, once its supervisor pinned it.
  core::TerminalPlace terminal(const core::Session& session) const override;
  // Its modal-sandbox file, once the sandbox is created.
  std::optional<std::string> sandbox_id(const core::Session& session) const override;
  bool terminal_answers(const core::Session&) const override { return false; }
  // While its supervisor keeps the sandbox after the work (kept_sandbox_file).
  bool terminal_kept(const core::Session& session) const override;
  // No Modal token, or a "modal" section of config.json that cannot be used.
  std::optional<std::string> not_ready() const override;
  // The sandboxes of this install that run on Modal (listed by its install tag: never anyone
  // else's), each under the session its tag names. Network: called off every request's path.
  // One whose session the store may not know is adoptable, as a command session of what the
  // sandbox holds.
  core::Result<std::vector<core::BackendListing>> list() override;
  // Its sandbox recorded, an empty base for its changes (what it started from is not known
  // here), and a supervisor that takes it over (modal_supervisor.h).
  core::Result<core::Done> adopt(const core::Session& session,
                                 const core::BackendListing& listing) override;

 private:
  core::Result<core::Done> start_supervisor(const core::Session& session, LaunchFailure on_failure);
  std::filesystem::path home_;
  std::string parhelia_;
  core::ChildReaper reaper_;
};

}  // namespace parhelia::modal
