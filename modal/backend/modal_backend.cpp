#include "modal/backend/modal_backend.h"

#include <fstream>

#include "core/agent/agent_command.h"
#include "core/agent/agent_credential.h"
#include "core/agent/agent_transcript.h"
#include "core/base/environment.h"
#include "core/base/file_replace.h"
#include "core/checkpoints/checkpoint_request.h"
#include "core/local/supervised_session.h"
#include "core/service/sessions.h"
#include "core/session/gpu_request.h"
#include "core/session/session_files.h"
#include "core/workspace/workspace.h"
#include "modal/api/modal_client.h"
#include "modal/backend/install_id.h"
#include "modal/backend/modal_settings.h"
#include "modal/backend/modal_supervisor.h"
#include "modal/backend/session_image.h"
#include "modal/backend/workspace_transfer.h"
#include "modal/credentials.h"

namespace parhelia::modal {
namespace {

// A client with this home's Modal token: for a stop with no supervisor left, and for a
// checkpoint's files.
core::Result<std::unique_ptr<ModalClient>> open_client(const std::filesystem::path& home) {
  auto credentials = require_modal_credentials(home);
  if (!credentials) return credentials.error();
  return ModalClient::open(credentials.value());
}

// A running sandbox's command router, with the client it calls through (declared first, so
// that it outlives the router).
struct ReachedSandbox {
  std::unique_ptr<ModalClient> client;
  std::unique_ptr<CommandRouter> router;
};

// Nothing when the sandbox has ended.
core::Result<std::optional<ReachedSandbox>> reach_sandbox(const std::filesystem::path& home,
                                                          const std::string& sandbox_id) {
  auto client = open_client(home);
  if (!client) return client.error();
  auto task_id = client.value()->sandbox_task_id(sandbox_id, std::chrono::seconds(30));
  if (!task_id) return task_id.error();
  if (!task_id.value()) return std::optional<ReachedSandbox>{};
  auto router = client.value()->command_router(*task_id.value());
  if (!router) return router.error();
  return std::optional<ReachedSandbox>{
      ReachedSandbox{std::move(client.value()), std::move(router.value())}};
}

}  // namespace

using core::Done;
using core::Error;
using core::ErrorCode;
using core::Result;
using core::Session;

ModalBackend::ModalBackend(std::filesystem::path home, std::string parhelia)
    : home_(std::move(home)), parhelia_(std::move(parhelia)) {}

Result<core::WorkCommand> ModalBackend::plan(const Session& session) {
  // The GPU's name and count were checked by the estimate (rates.h: a Modal GPU names its
  // type).
  auto settings = ModalSettings::load(home_);
  if (!settings) return settings.error();
  if (auto credentials = require_modal_credentials(home_); !credentials) return credentials.error();
  if (session.kind == core::SessionKind::task && settings->agent_secret.empty()) {
    if (auto credential = core::require_agent_credential(); !credential) return credential.error();
  }
  core::WorkCommand command;
  command.argv = core::work_argv(session, {settings->agent});
  return command;
}

Result<Done> ModalBackend::make_ready(const Session& session, const ProgressLine& progress) {
  auto settings = ModalSettings::load(home_);
  if (!settings) return settings.error();
  auto gpu = core::parse_gpu_request(session.gpu);
  if (!gpu) return gpu.error();
  auto credentials = require_modal_credentials(home_);
  if (!credentials) return credentials.error();
  SessionImages images(home_, credentials.value());
  const auto commands = session_image_commands(settings.value(), gpu->count > 0);
  if (images.known(commands)) return Done{};  // built before: no call
  auto client = ModalClient::open(credentials.value());
  if (!client) return client.error();
  auto app_id = client.value()->app_get_or_create(settings->app_name);
  if (!app_id) return app_id.error();
  progress("building the session's image on Modal (once for this definition)");
  auto image =
      images.image_for(*client.value(), app_id.value(), commands,
                       [&progress](const std::string& line) { progress("image: " + line); });
  if (!image) return image.error();
  return Done{};
}

Result<Done> ModalBackend::launch(const Session& session, LaunchFailure on_failure) {
  if (auto created = core::create_session_dir(home_, session); !created) return created.error();
  return start_supervisor(session, std::move(on_failure));
}

Result<Done> ModalBackend::start_supervisor(const Session& session, LaunchFailure on_failure) {
  auto environment = core::supervisor_launch_environment(home_, session);
  if (!environment) return environment.error();
  // The supervisor, unlike the work, calls Modal: it takes the token from where it is.
  for (const auto& entry : core::environment_with({})) {
    if (entry.starts_with("MODAL_")) environment->push_back(entry);
  }
  return core::launch_detached_supervisor(home_, parhelia_, session, std::move(environment).value(),
                                          "supervisor.out", reaper_, std::move(on_failure));
}

int ModalBackend::supervise(core::Store& store, const Session& session,
                            const core::RateTable& rates) {
  return supervise_on_modal(home_, store, session, rates);
}

core::BackendView ModalBackend::inspect(const Session& session) {
  core::BackendView view = core::inspect_supervised(home_, session);
  const bool live = session.state == core::SessionState::provisioning ||
                    session.state == core::SessionState::running;
  // Running with no supervisor recorded: adopted (ModalBackend::adopt), and its supervisor
  // not started yet or never started; the same as one that died.
  const bool unclaimed = view.presence == core::BackendView::Presence::starting &&
                         session.state == core::SessionState::running;
  std::error_code ec;
  if ((view.presence != core::BackendView::Presence::gone && !unclaimed) || view.files_missing ||
      view.exit_code || !live || !std::filesystem::exists(sandbox_id_file(home_, session.id), ec))
    return view;
  // Its supervisor died while its sandbox runs on (bounded by the sandbox's timeout): a new
  // one takes over and catches the log, the spend and the end up (modal_supervisor.h). One
  // start per half minute, however many look; the session's lock lets one of them follow.
  const auto marker = core::SessionFiles::of(home_, session.id).dir / "supervisor.restarted";
  const auto now = std::filesystem::file_time_type::clock::now();
  const auto last = std::filesystem::last_write_time(marker, ec);
  if (ec || now - last > std::chrono::seconds(30)) {
    std::ofstream(marker, std::ios::trunc) << core::now_ms() << "\n";
    core::warn_on_error(start_supervisor(session, nullptr),
                        "restarting a Modal session's supervisor");
  }
  view.presence = core::BackendView::Presence::alive;
  return view;
}

Result<Done> ModalBackend::stop(const Session& session, int grace_s) {
  if (core::inspect_supervised(home_, session).presence == core::BackendView::Presence::alive)
    return core::stop_supervised(home_, session, grace_s);
  const auto sandbox = sandbox_id(session);
  if (!sandbox) return Done{};  // nothing was made on Modal
  auto client = open_client(home_);
  if (!client) return client.error();
  auto terminated = client.value()->sandbox_terminate(*sandbox);
  if (!terminated) return terminated.error();
  return Done{};
}

Result<Done> ModalBackend::request_checkpoint(const Session& session, const std::string& token) {
  return core::checkpoint_supervised(home_, parhelia_, session, token, reaper_);
}

std::optional<core::CheckpointAnswer> ModalBackend::checkpoint_answer(const Session& session,
                                                                      const std::string& token) {
  return core::read_checkpoint_answer(core::SessionFiles::of(home_, session.id), token);
}

Result<Done> ModalBackend::bring_files_here(const Session& session) {
  // Ended, its last files came back with its end; unless its sandbox is kept, where a person
  // may have changed more.
  if (session.state != core::SessionState::running && !terminal_kept(session)) return Done{};
  const auto sandbox = sandbox_id(session);
  if (!sandbox) return Done{};  // nothing runs there yet: the files here are all
  auto reached = reach_sandbox(home_, *sandbox);
  if (!reached) return reached.error();
  if (!reached.value()) {
    return Error{
        ErrorCode::unavailable, "its sandbox " + *sandbox + " has ended",
        "Its last files come back with its end: `parhelia session results " + session.id + "`."};
  }
  CommandRouter& router = *reached.value()->router;
  const std::string round = "checkpoint " + core::new_request_token();
  const auto files = core::SessionFiles::of(home_, session.id);
  auto pulled = download_changes(router, session.id, round, files.workspace);
  if (!pulled) return pulled.error();
  std::ofstream(files.log, std::ios::app)
      << "parhelia: checkpoint: the sandbox's changed files pulled (" << pulled.value()
      << " bytes compressed)\n";
  if (session.kind != core::SessionKind::task) return Done{};
  // Where the checkpoint looks for a sandboxed session's conversation (checkpointer.h).
  return download_transcripts(
      router, session.id, round,
      core::transcript_dir(files.home, core::work_paths(files, session.sandboxed).workspace));
}

Result<std::optional<core::Backend::SandboxCopy>> ModalBackend::copy_sandbox(
    const Session& session) {
  const auto sandbox = sandbox_id(session);
  if (!sandbox) return std::optional<SandboxCopy>{};
  auto reached = reach_sandbox(home_, *sandbox);
  if (!reached) return reached.error();
  if (!reached.value()) return std::optional<SandboxCopy>{};  // it has ended: nothing to copy
  const std::int64_t ttl_s = std::int64_t{kSnapshotDays} * 24 * 3600;
  auto image = reached.value()->router->snapshot_filesystem(ttl_s, std::chrono::seconds(600));
  if (!image) return image.error();
  return std::optional<SandboxCopy>{SandboxCopy{image.value(), core::now_ms() + ttl_s * 1000}};
}

core::TerminalPlace ModalBackend::terminal(const Session&) const {
  // The tmux in its sandbox, behind the endpoint its supervisor pinned (sandbox_terminal.h).
  core::TerminalPlace place;
  place.kind = core::TerminalPlace::Kind::over_ssh;
  return place;
}

bool ModalBackend::terminal_kept(const Session& session) const {
  std::error_code ec;
  return std::filesystem::exists(kept_sandbox_file(home_, session.id), ec) &&
         core::inspect_supervised(home_, session).presence == core::BackendView::Presence::alive;
}

std::optional<std::string> ModalBackend::sandbox_id(const Session& session) const {
  std::string id;
  std::ifstream(sandbox_id_file(home_, session.id)) >> id;
  if (id.empty()) return std::nullopt;
  return id;
}

std::optional<std::string> ModalBackend::not_ready() const {
  if (auto settings = ModalSettings::load(home_); !settings) return settings.error().sentence();
  if (auto credentials = require_modal_credentials(home_); !credentials)
    return credentials.error().sentence();
  return std::nullopt;
}

Result<std::vector<core::BackendListing>> ModalBackend::list() {
  std::vector<core::BackendListing> listed;
  // The install id is made by the first Modal session: without it nothing on Modal is ours,
  // and nothing is asked of Modal (a token alone makes no call, and no app).
  std::error_code ec;
  if (!std::filesystem::exists(home_ / "install-id", ec)) return listed;
  auto credentials = find_modal_credentials(home_);
  if (!credentials || !credentials->complete()) return listed;
  auto settings = ModalSettings::load(home_);
  if (!settings) return settings.error();
  auto install = install_id(home_);
  if (!install) return install.error();
  auto client = ModalClient::open(credentials.value());
  if (!client) return client.error();
  auto app_id = client.value()->app_get_or_create(settings->app_name);
  if (!app_id) return app_id.error();
  // This install's sandboxes only: one without its tag is never listed, so never touched.
  auto sandboxes = client.value()->sandbox_list(app_id.value(), {{kInstallTag, install.value()}},
                                                /*include_finished=*/false);
  if (!sandboxes) return sandboxes.error();
  for (const SandboxListing& sandbox : sandboxes.value()) {
    const auto tag = sandbox.tags.find(kSessionTag);
    if (tag == sandbox.tags.end() || !core::is_session_id(tag->second)) continue;
    const std::string& id = tag->second;
    // Made by a supervisor that died before it recorded it: recorded now, so that a stop
    // reaches it.
    const auto file = sandbox_id_file(home_, id);
    if (std::filesystem::exists(file.parent_path(), ec) && !std::filesystem::exists(file, ec))
      core::warn_on_error(core::replace_file(file, sandbox.id + "\n"), "recording a sandbox");
    core::Session adoptable;
    adoptable.id = id;
    adoptable.backend = "modal";
    adoptable.kind = core::SessionKind::command;
    adoptable.task = "(adopted) the work in Modal sandbox " + sandbox.id;
    adoptable.gpu = sandbox.gpu_type;
    adoptable.timeout_s =
        std::max<std::int64_t>(std::int64_t{sandbox.timeout_secs} - kStopSlack_s, 10);
    adoptable.created_at = static_cast<std::int64_t>(sandbox.created_at * 1000);
    adoptable.started_at = static_cast<std::int64_t>(
        (sandbox.started_at > 0 ? sandbox.started_at : sandbox.created_at) * 1000);
    adoptable.checkpoint_every_s = 0;
    // Priced at a submit's defaults until its end, when it is settled with what Modal bills.
    adoptable.cpu_milli = core::SubmitRequest{}.cpu_milli;
    adoptable.memory_milli_gib = core::SubmitRequest{}.memory_milli_gib;
    listed.push_back({id, !sandbox.outcome, std::move(adoptable), sandbox.id});
  }
  return listed;
}

Result<Done> ModalBackend::adopt(const Session& session, const core::BackendListing& listing) {
  if (listing.sandbox_id.empty()) {
    return Error{ErrorCode::not_found, "No sandbox of session " + session.id + " was listed.", ""};
  }
  if (auto created = core::create_session_dir(home_, session); !created) return created.error();
  const auto files = core::SessionFiles::of(home_, session.id);
  std::error_code ec;
  std::filesystem::create_directories(files.workspace, ec);
  if (auto base = core::commit_base(files.working_copy()); !base) return base.error();
  if (auto recorded =
          core::replace_file(sandbox_id_file(home_, session.id), listing.sandbox_id + "\n");
      !recorded)
    return recorded.error();
  std::ofstream(files.log, std::ios::app)
      << "parhelia: adopted: Modal sandbox " << listing.sandbox_id
      << " ran with this install's tag and no session here; followed from now on (its changes "
         "are against an empty base)\n";
  return start_supervisor(session, nullptr);
}

}  // namespace parhelia::modal
