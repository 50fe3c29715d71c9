#include "core/service/sessions.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "core/agent/agent_credential.h"
#include "core/base/config_file.h"
#include "core/base/process_argument.h"
#include "core/session/sandbox_settings.h"
#include "core/store/database.h"
#include "core/workspace/workspace.h"

namespace parhelia::core {
namespace {

constexpr std::int64_t kMaxTimeout = 24 * 3600;
// A session with no supervisor this long after its submit never started.
constexpr std::int64_t kStartGraceMs = 60'000;

}  // namespace

SessionService::SessionService(std::filesystem::path home, std::unique_ptr<Store> store,
                               Backends backends)
    : home_(std::move(home)),
      store_(std::move(store)),
      ledger_(store_->database()),
      budget_(store_->database()),
      backends_(std::move(backends)),
      checkpoints_(store_->database(), home_),
      endpoints_(store_->database()) {}

Result<std::unique_ptr<SessionService>> SessionService::open(const std::filesystem::path& home,
                                                             Backends backends) {
  auto store = Store::open(home);
  if (!store) return store.error();
  std::unique_ptr<SessionService> service(
      new SessionService(home, std::move(store).value(), std::move(backends)));
  service->reconcile();
  return service;
}

std::unique_ptr<SessionService> SessionService::open_on_first_use(const std::filesystem::path& home,
                                                                  Backends backends) {
  auto store = Store::over(Database::open_on_first_use(home));
  return std::unique_ptr<SessionService>(
      new SessionService(home, std::move(store).value(), std::move(backends)));
}

Result<std::string> SessionService::chosen_backend(const std::string& asked) const {
  if (!asked.empty()) return asked;
  auto section = config_section(home_, "sessions");
  if (!section) return section.error();
  if (section.value()) {
    if (auto configured = section.value()->find("backend"); configured != section.value()->end()) {
      if (!configured->is_string() || !backends_.find(configured->get<std::string>())) {
        return config_error(
            home_, "sessions",
            "\"backend\" must name a backend of this build: one of " + backends_.listed());
      }
      return configured->get<std::string>();
    }
  }
  return backends_.default_name();
}

Result<Backend*> SessionService::backend_of(const Session& session) {
  auto backend = backends_.get(session.backend);
  if (!backend) {
    return Error{ErrorCode::unavailable,
                 "Session " + session.id + " runs on the " + session.backend +
                     " backend, which this build of Parhelia does not have.",
                 "Use the Parhelia that started it."};
  }
  return backend;
}

Result<CostQuestion> SessionService::cost_question(const SubmitRequest& request) {
  if (request.timeout_s < 1 || request.timeout_s > kMaxTimeout) {
    return invalid("The timeout must be between 1 second and 24 hours.",
                   "Pass a timeout such as 3600 (seconds).");
  }
  if (request.cpu_milli < 125 || request.cpu_milli > 64'000)
    return invalid("CPU must be between 0.125 and 64 cores.", "Pass cpu such as 2.");
  if (request.memory_milli_gib < 125 || request.memory_milli_gib > 1'024'000)
    return invalid("Memory must be between 0.125 and 1024 GiB.", "Pass memory such as 4 (GiB).");
  auto gpu = parse_gpu_request(request.gpu);
  if (!gpu) return gpu.error();
  CostQuestion question;
  auto name = chosen_backend(request.backend);
  if (!name) return name.error();
  // Priced as its backend says; a backend this build lacks (an estimate for modal) by its name.
  const Backend* backend = backends_.find(name.value());
  const std::string priced_as = backend ? std::string(backend->priced_as()) : name.value();
  question.compute = {priced_as, gpu.value(), request.cpu_milli, request.memory_milli_gib};
  question.agent_task = request.task && !request.task->empty();
  question.timeout_s = request.timeout_s;
  if (request.keep_alive_s < 0 || request.keep_alive_s > kMaxTimeout) {
    return invalid("The keep-alive must be between 0 (none) and 24 hours.",
                   "Pass keep_alive such as 600 (seconds), or --keep-alive 10m.");
  }
  question.kept_s = request.keep_alive_s;
  question.max_cost = request.max_cost;
  return question;
}

Result<SessionService::Pricing> SessionService::pricing(const SubmitRequest& request) {
  auto question = cost_question(request);
  if (!question) return question.error();
  auto rates = RateTable::load(home_);
  if (!rates) return rates.error();
  auto settings = budget_.settings();
  if (!settings) return settings.error();
  return Pricing{std::move(question).value(), std::move(rates).value(),
                 std::move(settings).value()};
}

Result<CostEstimate> SessionService::estimate(const SubmitRequest& request) {
  auto p = pricing(request);
  if (!p) return p.error();
  return estimate_cost(p->rates, p->settings, p->question);
}

Result<std::int64_t> SessionService::longest_timeout(const SubmitRequest& request, Micros room) {
  auto p = pricing(request);
  if (!p) return p.error();
  if (room <= 0) return std::int64_t{0};
  return longest_timeout_within(p->rates, p->settings, p->question, room);
}

Error SessionService::refusal(const SubmitRequest& request, const CostEstimate& estimate,
                              const Headroom& tightest) {
  const std::string limit = std::string(to_string(tightest.scope));
  const std::string message = "Not started: this session could cost up to " +
                              format_usd(estimate.reserve) + ", but the " + limit + " limit of " +
                              format_usd(tightest.limit) + " has " +
                              format_usd(std::max<Micros>(tightest.remaining(), 0)) + " left (" +
                              format_usd(tightest.spent) + " spent, " + format_usd(tightest.held) +
                              " held by running sessions).";
  const std::int64_t longest = longest_timeout(request, tightest.remaining()).value_or(0);
  const std::string raise = "`parhelia budget set --" + limit + " DOLLARS`";
  const std::string hint =
      longest > 0
          ? "The longest timeout that fits is " + std::to_string(longest) +
                " s (timeout_s / --timeout); or set a lower max_cost, or raise the "
                "limit with " +
                raise + "."
          : "Nothing fits until running sessions end or the limit is raised (" + raise + ").";
  return Error{ErrorCode::conflict, message, hint};
}

Result<SubmitPlan> SessionService::plan(const SubmitRequest& request) {
  const bool has_task = request.task && !request.task->empty();
  const bool has_command = request.command && !request.command->empty();
  if (has_task == has_command) {
    return invalid(has_task ? "Give a task or a command, not both."
                            : "Nothing to run: the task and the command are both empty.",
                   "Pass a task (a prompt for Claude Code) or a command (a shell command line).");
  }
  const std::string& work = has_task ? *request.task : *request.command;
  if (auto wrong = argument_problem(has_task ? "The task" : "The command", work)) return *wrong;
  if (auto wrong = path_problem("The workspace path", request.workspace)) return *wrong;
  auto backend_name = chosen_backend(request.backend);
  if (!backend_name) return backend_name.error();
  auto backend = backends_.get(backend_name.value());
  if (!backend) return backend.error();
  auto estimate = this->estimate(request);
  if (!estimate) return estimate.error();
  if (request.name.size() > 64)
    return invalid("The name is longer than 64 characters.", "Use a shorter name.");
  if (std::any_of(request.name.begin(), request.name.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; })) {
    return invalid("The name holds a control character (a newline, tab, escape or NUL).",
                   "Use a name of letters, digits, spaces and punctuation.");
  }

  SubmitPlan plan;
  Session& s = plan.session;
  s.id = new_session_id();
  s.name = request.name;
  s.kind = has_task ? SessionKind::task : SessionKind::command;
  s.task = has_task ? *request.task : *request.command;
  s.backend = backend_name.value();
  s.gpu = request.gpu;
  s.timeout_s = request.timeout_s;
  s.cpu_milli = request.cpu_milli;
  s.memory_milli_gib = request.memory_milli_gib;
  s.max_cost_micros = estimate->cap;
  s.estimate_micros = estimate->reserve;
  s.sandboxed = !request.no_sandbox;
  auto sandbox_settings = SandboxSettings::load(home_);
  if (!sandbox_settings) return sandbox_settings.error();
  s.network = request.network.value_or(sandbox_settings->network);
  if (!s.network && !s.sandboxed) {
    return invalid("A session without the network needs its sandbox.",
                   "Drop --no-sandbox, or let it keep the network.");
  }
  s.parent_id = request.parent_id;
  // Unsandboxed, the line's directory is one (session_files.h): one live session at a time in it.
  if (!s.sandboxed && !s.parent_id.empty()) {
    if (auto holder = line_continued_by(home_, s.parent_id)) {
      if (auto live = store_->get(*holder); live && !is_terminal(live->state)) {
        return Error{ErrorCode::conflict,
                     "Session " + *holder + " already carries on " + s.parent_id +
                         "'s work in its directory and is still " +
                         std::string(to_string(live->state)) + ".",
                     "Stop it first (`parhelia session stop " + *holder + "`), or resume " +
                         *holder + " instead once it has ended."};
      }
    }
  }
  s.restore_from = request.restore_from;
  s.resume_agent_session = request.resume_agent_session;
  auto checkpoint_settings = CheckpointSettings::load(home_);
  if (!checkpoint_settings) return checkpoint_settings.error();
  s.checkpoint_every_s = request.checkpoint_every_s.value_or(checkpoint_settings->every_s);
  if (s.checkpoint_every_s < 0 || s.checkpoint_every_s > kMaxTimeout) {
    return invalid("The checkpoint interval must be between 0 (none) and 24 hours.",
                   "Pass checkpoint_every such as 600 (seconds).");
  }
  s.keep_alive_s = request.keep_alive_s;
  plan.estimate = estimate.value();
  s.created_at = now_ms();
  s.updated_at = s.created_at;

  auto workspace = resolve_workspace(
      request.workspace.empty() ? std::filesystem::current_path().string() : request.workspace);
  if (!workspace) return workspace.error();
  s.workspace = workspace->string();

  auto command = backend.value()->plan(s);
  if (!command) return command.error();
  if (s.kind == SessionKind::task) {
    auto credential = require_agent_credential();
    if (!credential) return credential.error();
    plan.credential = std::move(credential).value();
  }
  plan.argv = std::move(command->argv);
  plan.cuda_visible_devices = std::move(command->cuda_visible_devices);
  return plan;
}

Result<Session> SessionService::submit(const SubmitRequest& request,
                                       const Backend::ProgressLine& progress) {
  auto planned = plan(request);
  if (!planned) return planned.error();
  const Session& session = planned->session;
  // Reserved before the session exists: a crash in between leaves a reservation with no
  // session, which release_stale() gives back a minute later.
  auto reservation = budget_.reserve(session.id, planned->estimate.reserve, now_ms());
  if (!reservation) return reservation.error();
  if (!reservation->granted)
    return refusal(request, planned->estimate, reservation->tightest.value());
  auto backend = backends_.get(session.backend);
  if (!backend) return backend.error();  // plan() found it
  if (auto ready = backend.value()->make_ready(
          session, progress ? progress : [](auto&) {});
      !ready) {
    warn_on_error(budget_.release(session.id, now_ms()), "releasing a reservation");
    return ready.error();
  }
  if (auto inserted = store_->insert(session); !inserted) {
    warn_on_error(budget_.release(session.id, now_ms()), "releasing a reservation");
    return inserted.error();
  }
  // The name, never the value: status shows it among the session's events.
  if (!planned->credential.empty()) {
    warn_on_error(store_->note(session.id, "Claude Code signs in with " + planned->credential),
                  "noting the credential");
  }
  const auto record_failed_launch = [this](const std::string& id, const std::string& why) {
    SessionUpdate failed;
    failed.finished_at = now_ms();
    failed.error = why;
    warn_on_error(store_->transition(id, SessionState::queued, SessionState::failed, failed, why),
                  "recording a failed launch");
  };
  if (auto launched = backend.value()->launch(session, record_failed_launch); !launched) {
    record_failed_launch(session.id, launched.error().sentence());
    warn_on_error(budget_.release(session.id, now_ms()), "releasing a reservation");
    return launched.error();
  }
  return session;
}

void SessionService::reconcile_one(Session& s) {
  if (is_terminal(s.state)) return;
  // A session of a backend this build does not have is left as recorded.
  Backend* backend = backends_.find(s.backend);
  if (!backend) return;
  const BackendView view = backend->inspect(s);
  SessionState to = SessionState::failed;
  SessionUpdate update;
  update.finished_at = now_ms();
  switch (view.presence) {
    case BackendView::Presence::alive:
      return;
    case BackendView::Presence::starting:
      if (now_ms() - s.created_at < kStartGraceMs) return;
      update.error = "The session never started (no supervisor within a minute of its submit).";
      break;
    case BackendView::Presence::gone:
      if (view.files_missing) {
        to = SessionState::lost;
        update.error = "The session's files under " + files(s.id).dir.string() + " are gone.";
      } else if (view.exit_code) {
        update.exit_code = *view.exit_code;
        to = (*view.exit_code == 0 && s.state == SessionState::running) ? SessionState::succeeded
                                                                        : SessionState::failed;
        if (to == SessionState::failed)
          update.error = "The work exited with status " + std::to_string(*view.exit_code) + ".";
      } else {
        update.error =
            "The session's processes ended without recording an outcome (killed outside "
            "Parhelia?).";
      }
      break;
  }
  const std::string detail = "reconciled: " + update.error.value_or("the work had ended");
  warn_on_error(store_->transition(s.id, s.state, to, update, detail), "reconciling a session");
  if (auto fresh = store_->get(s.id)) s = fresh.value();
}

void SessionService::reconcile() {
  auto live = store_->live();
  if (!live) return;
  for (auto& session : live.value()) reconcile_one(session);
  warn_on_error(budget_.release_stale(now_ms()), "releasing reservations of ended sessions");
}

std::vector<std::pair<std::string, std::optional<std::string>>> SessionService::backend_readiness()
    const {
  std::vector<std::pair<std::string, std::optional<std::string>>> readiness;
  for (const auto& backend : backends_.all())
    readiness.emplace_back(std::string(backend->name()), backend->not_ready());
  return readiness;
}

Result<std::vector<SessionService::Stray>> SessionService::strays() {
  std::vector<Stray> found;
  for (const auto& backend : backends_.all()) {
    auto listed = backend->list();
    if (!listed) return listed.error();
    for (const BackendListing& held : listed.value()) {
      if (!held.alive) continue;
      auto known = store_->get(held.session_id);
      // One whose sandbox is kept after its work (keep-alive) runs on by design.
      if (known && is_terminal(known->state) && !backend->terminal_kept(known.value())) {
        const std::string ran =
            "its " + std::string(backend->name()) + " backend still ran it after it had ended";
        auto stopped = backend->stop(known.value(), 0);
        warn_on_error(store_->note(held.session_id, stopped ? ran + "; stopped"
                                                            : ran + "; it could not be stopped: " +
                                                                  stopped.error().sentence()),
                      "noting a leftover");
      }
      if (known) continue;
      if (known.error().code != ErrorCode::not_found) return known.error();
      Stray stray{std::string(backend->name()), held.session_id};
      if (held.adoptable) {
        auto adopted = adopt(*backend, held);
        stray.adopted = adopted.ok();
        if (!adopted) spdlog::warn("adopting {}: {}", held.session_id, adopted.error().sentence());
      }
      found.push_back(std::move(stray));
    }
  }
  return found;
}

Result<Done> SessionService::adopt(Backend& backend, const BackendListing& listing) {
  Session session = *listing.adoptable;
  const std::int64_t started = session.started_at.value_or(now_ms());
  session.state = SessionState::provisioning;
  if (auto recorded = store_->insert(session); !recorded) return recorded.error();
  SessionUpdate running;
  running.started_at = started;
  auto moved = store_->transition(
      session.id, SessionState::provisioning, SessionState::running, running,
      "adopted: its " + std::string(backend.name()) + " backend ran it with no record of it here");
  if (!moved) return moved.error();
  session.state = SessionState::running;
  session.started_at = started;
  return backend.adopt(session, listing);
}

Result<Session> SessionService::existing(const std::string& id) {
  if (!is_session_id(id)) {
    return invalid("'" + id + "' is not a session id.",
                   "Session ids look like task-0123abcd; list them with the session list.");
  }
  return store_->get(id);
}

Result<Session> SessionService::get(const std::string& id) {
  auto session = existing(id);
  if (session) reconcile_one(session.value());
  return session;
}

Result<std::vector<Session>> SessionService::list(const SessionQuery& query) {
  reconcile();
  return store_->list(query);
}

Result<LogChunk> SessionService::log_from(const std::string& id, std::uint64_t offset,
                                          std::size_t max_bytes) {
  auto session = existing(id);
  if (!session) return session.error();
  return read_log_from(files(id).log, offset, max_bytes);
}

Result<LogChunk> SessionService::log_tail(const std::string& id, std::size_t lines,
                                          std::size_t max_bytes) {
  auto session = existing(id);
  if (!session) return session.error();
  return read_log_tail(files(id).log, lines, max_bytes);
}

Result<Session> SessionService::wait_for_end(const std::string& id,
                                             const std::function<bool(const Session&)>& on_live) {
  while (true) {
    auto session = get(id);
    if (!session || is_terminal(session->state)) return session;
    if (!on_live(session.value())) {
      return Error{ErrorCode::conflict, "Stopped waiting; session " + id + " keeps running.", ""};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

Result<Session> SessionService::stop(const std::string& id, int grace_s) {
  auto session = get(id);
  if (!session) return session;
  Session& s = session.value();
  if (is_terminal(s.state)) {
    // Its work has ended but its sandbox is kept (keep-alive): the stop ends that early.
    if (auto backend = backend_of(s); backend && backend.value()->terminal_kept(s)) {
      if (auto stopped = backend.value()->stop(s, grace_s); !stopped) return stopped.error();
      warn_on_error(store_->note(id, "stop requested of its kept sandbox"), "noting a stop");
      return store_->get(id);
    }
    return Error{ErrorCode::conflict,
                 "Session " + id + " has already ended (" + std::string(to_string(s.state)) + ").",
                 "Nothing to stop; its results are available."};
  }
  if (s.state == SessionState::queued && !s.supervisor_pid) {
    // Not started yet: the supervisor will find it cancelled and do nothing.
    SessionUpdate cancelled;
    cancelled.finished_at = now_ms();
    cancelled.error = "Stopped on request before it started.";
    if (store_
            ->transition(id, SessionState::queued, SessionState::cancelled, cancelled,
                         "stopped before start")
            .value_or(false)) {
      return store_->get(id);
    }
    session = store_->get(id);  // it started meanwhile: stop it like a running one
    if (!session) return session;
  }
  auto backend = backend_of(session.value());
  if (!backend) return backend.error();
  if (auto stopped = backend.value()->stop(session.value(), grace_s); !stopped)
    return stopped.error();
  warn_on_error(store_->note(id, "stop requested (grace " + std::to_string(grace_s) + " s)"),
                "noting a stop");
  return store_->get(id);
}

Result<SessionResults> SessionService::results(const std::string& id) {
  auto session = get(id);
  if (!session) return session.error();
  SessionResults results;
  results.session = session.value();
  results.finished = is_terminal(results.session.state);
  results.patch_file = files(id).patch;
  std::error_code ec;
  results.patch_bytes = std::filesystem::exists(results.patch_file, ec)
                            ? std::filesystem::file_size(results.patch_file, ec)
                            : 0;
  return results;
}

Result<Done> SessionService::apply(const std::string& id) {
  auto results = this->results(id);
  if (!results) return results.error();
  if (!results->finished) {
    return Error{
        ErrorCode::conflict,
        "Session " + id + " is still " + std::string(to_string(results->session.state)) + ".",
        "Wait for it to end (parhelia session logs " + id + " -f), then apply."};
  }
  return apply_patch(results->patch_file, results->session.workspace);
}

}  // namespace parhelia::core
