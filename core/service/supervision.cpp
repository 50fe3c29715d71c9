#include "core/service/supervision.h"

#include <signal.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <iostream>

#include "core/base/process.h"
#include "core/budget/budget.h"
#include "core/checkpoints/checkpoint_request.h"
#include "core/checkpoints/checkpointer.h"

namespace parhelia::core {
namespace {

volatile sig_atomic_t received_stop = 0;
void on_stop_signal(int signal_number) {
  received_stop = signal_number;
}

}  // namespace

int stop_signal_received() {
  return received_stop;
}

bool claim_queued_session(Store& store, Session& session) {
  const pid_t self = ::getpid();
  SessionUpdate claimed;
  claimed.supervisor_pid = self;
  claimed.supervisor_start = process_start_time(self);
  auto moved = store.transition(session.id, SessionState::queued, SessionState::provisioning,
                                claimed, "supervisor started");
  if (!moved || !moved.value()) return false;
  session.state = SessionState::provisioning;
  return true;
}

int finish_unstarted(Store& store, Session& session, const SessionFiles& files,
                     SessionState final_state, const std::string& why) {
  warn_on_error(Budget(store.database()).release(session.id, now_ms()),
                "releasing the reservation");
  std::cerr << "parhelia: " << why << "\n";
  std::ofstream(files.log, std::ios::app) << "parhelia: " << why << "\n";
  SessionUpdate outcome;
  outcome.finished_at = now_ms();
  outcome.error = why;
  warn_on_error(store.transition(session.id, session.state, final_state, outcome, why),
                "recording the outcome");
  session.state = final_state;
  return 0;
}

int supervise(const std::filesystem::path& home, const std::string& session_id,
              const Backends& backends) {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  for (int signal_number : {SIGTERM, SIGINT, SIGHUP}) sigaction(signal_number, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto store = Store::open(home);
  if (!store) {
    std::cerr << "parhelia: " << store.error().sentence() << "\n";
    return 1;
  }
  auto session = store.value()->get(session_id);
  if (!session) {
    std::cerr << "parhelia: " << session.error().sentence() << "\n";
    return 1;
  }
  auto backend = backends.get(session->backend);
  if (!backend) {
    // Started by a parhelia that has the backend, supervised by one that lacks it.
    finish_unstarted(*store.value(), session.value(), SessionFiles::of(home, session_id),
                     SessionState::failed,
                     "This parhelia cannot run it: " + backend.error().sentence());
    return 1;
  }
  // The rates were checked at submit; should the config have broken since, the session is
  // still charged, at the list prices, and says so.
  auto rates = RateTable::load(home);
  if (!rates) std::cerr << "parhelia: " << rates.error().sentence() << " Using the list prices.\n";
  return backend.value()->supervise(*store.value(), session.value(),
                                    rates ? rates.value() : RateTable::defaults());
}

int checkpoint_session(const std::filesystem::path& home, const std::string& session_id,
                       const std::string& token, CheckpointTrigger trigger,
                       const Backends& backends) {
  const SessionFiles files = SessionFiles::of(home, session_id);
  const auto fail = [&](const Error& error) {
    std::cerr << "parhelia: " << error.sentence() << "\n";
    if (!token.empty()) write_checkpoint_answer(files, {token, "", false, error.sentence()});
    return 1;
  };
  // One connection for the whole process: the backend's questions and the checkpoint's.
  auto database = Database::open(home);
  if (!database) return fail(database.error());
  auto store = Store::over(database.value());
  if (!store) return fail(store.error());
  auto session = store.value()->get(session_id);
  if (!session) return fail(session.error());
  auto backend = backends.get(session->backend);
  if (!backend) return fail(backend.error());
  // An asked-for checkpoint is a manual one, whoever asked.
  const CheckpointTrigger kind = token.empty() ? trigger : CheckpointTrigger::manual;
  if (auto here = backend.value()->bring_files_here(session.value()); !here) {
    const std::string why = "its files could not be brought here: " + here.error().sentence();
    warn_on_error(store.value()->note(session_id,
                                      std::string(to_string(kind)) + " checkpoint failed: " + why),
                  "noting a failed checkpoint");
    return fail(Error{here.error().code, "The checkpoint failed: " + why, ""});
  }
  Checkpointer checkpointer(home, database.value());
  auto taken = checkpointer.take_and_note(session_id, kind);
  if (taken && taken->checkpoint.sandbox_image.empty()) {
    // The sandbox's own copy beside it, recorded on the same checkpoint before it is
    // answered; without one, a resume starts from the copy here.
    auto copy = backend.value()->copy_sandbox(session.value());
    if (copy && copy.value()) {
      const auto& image = *copy.value();
      if (auto recorded = checkpointer.store().record_sandbox_image(taken->checkpoint.id,
                                                                    image.image, image.expires_at);
          recorded) {
        taken->checkpoint.sandbox_image = image.image;
        warn_on_error(store.value()->note(session_id, "checkpoint " + taken->checkpoint.id +
                                                          ": its sandbox is kept on " +
                                                          session->backend + " as " + image.image +
                                                          " until " + iso_time(image.expires_at)),
                      "noting a sandbox copy");
      }
    } else if (!copy) {
      warn_on_error(
          store.value()->note(session_id, "checkpoint " + taken->checkpoint.id +
                                              " has no copy of the sandbox on " + session->backend +
                                              " (" + copy.error().sentence() +
                                              "); a resume from it starts from the copy here"),
          "noting a missing sandbox copy");
    }
  }
  if (!token.empty()) {
    write_checkpoint_answer(
        files, taken ? CheckpointAnswer{token, taken->checkpoint.id, taken->unchanged, ""}
                     : CheckpointAnswer{token, "", false, taken.error().sentence()});
  }
  return taken ? 0 : 1;
}

}  // namespace parhelia::core
