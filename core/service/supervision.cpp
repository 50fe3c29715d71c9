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
  // One connection for the whole process: the backend's question and the checkpoint's.
  auto database = Database::open(home);
  auto brought = [&]() -> Result<Done> {
    if (!database) return database.error();
    auto store = Store::over(database.value());
    if (!store) return store.error();
    auto session = store.value()->get(session_id);
    if (!session) return session.error();
    auto backend = backends.get(session->backend);
    if (!backend) return backend.error();
    auto here = backend.value()->bring_files_here(session.value());
    if (!here) {
      const std::string why = "its files could not be brought here: " + here.error().sentence();
      warn_on_error(store.value()->note(
                        session_id, std::string(to_string(trigger)) + " checkpoint failed: " + why),
                    "noting a failed checkpoint");
      return Error{here.error().code, "The checkpoint failed: " + why, ""};
    }
    return Done{};
  }();
  if (!brought) {
    std::cerr << "parhelia: " << brought.error().sentence() << "\n";
    if (!token.empty())
      write_checkpoint_answer(SessionFiles::of(home, session_id),
                              {token, "", false, brought.error().sentence()});
    return 1;
  }
  Checkpointer checkpointer(home, database.value());
  if (!token.empty()) {
    answer_checkpoint_request(checkpointer, session_id, token);
    return 0;
  }
  return checkpointer.take_and_note(session_id, trigger) ? 0 : 1;
}

}  // namespace parhelia::core
