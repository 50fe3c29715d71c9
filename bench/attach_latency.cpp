// Attach latencies: for a local session (its own tmux) and a remote one (a real sshd on
// 127.0.0.1 with a tmux session, recorded as a backend records a container's endpoint):
// attach_info (with its reachability check), reading the screen, and sending keys, in core;
// the bare SSH check; and how soon dead endpoints are reported. Prints median and p99.
//   parhelia_bench_attach [--quick]
#include <cstring>
#include <thread>

#include "bench/bench_stats.h"
#include "core/local/local_backend.h"
#include "core/service/sessions.h"
#include "core/terminal/ssh_client.h"
#include "tests/support/terminal_fixtures.h"
#include "tests/support/test_backends.h"
#include "tests/support/workspace_fixture.h"

using namespace parhelia;
using namespace std::chrono_literals;
using bench::measure;
using bench::report;

namespace {

template <class T>
void must(const core::Result<T>& result) {
  if (!result) {
    std::fprintf(stderr, "%s\n", result.error().sentence().c_str());
    std::exit(1);
  }
}

// The local backend, and the tests' remote one for the session the bench records with the
// sshd's endpoint.
core::Backends with_remote(const std::filesystem::path& home) {
  core::Backends backends = core::local_backends(home, PARHELIA_BINARY);
  backends.add(std::make_unique<testing::RecordedRemoteBackend>());
  return backends;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 2 || (argc == 2 && std::strcmp(argv[1], "--quick") != 0)) {
    std::fprintf(stderr, "usage: parhelia_bench_attach [--quick]\n");
    return 2;
  }
  const int runs = argc == 2 ? 20 : 200;
  testing::ParheliaHome home;
  testing::GitWorkspace workspace;
  ::setenv("PARHELIA_HOME", home.path().c_str(), 1);
  auto opened = core::SessionService::open(home.path(), with_remote(home.path()));
  must(opened);
  core::SessionService& service = *opened.value();

  // Local: a session that waits for input for as long as the bench runs.
  core::SubmitRequest request;
  request.command = "while read line; do :; done";
  request.workspace = workspace.path().string();
  auto local = service.submit(request);
  must(local);
  for (int i = 0; i < 200 && service.get(local->id).value().state != core::SessionState::running;
       ++i)
    std::this_thread::sleep_for(10ms);
  report("local attach_info", measure(runs, [&] { must(service.attach_info(local->id)); }));
  report("local screen (tmux capture-pane)",
         measure(runs, [&] { must(service.screen(local->id)); }));
  report("local send (tmux send-keys)", measure(runs, [&] {
           must(service.send_keys(local->id, {"x", {}, true}));
         }));

  // Remote: a real sshd and a tmux session standing in for a container.
  auto identity = core::installation_identity(home.path());
  must(identity);
  std::string why;
  auto sshd = testing::SshServer::start(identity->public_key, why);
  if (!sshd) {
    std::fprintf(stderr, "sshd: %s\n", why.c_str());
    return 1;
  }
  testing::TmuxServer container("work", {"sh"});
  const core::SshEndpoint endpoint{"127.0.0.1", sshd->port(), testing::SshServer::user(),
                                   sshd->host_key(), container.target()};
  core::Session remote;
  remote.id = core::new_session_id();
  remote.backend = "remote";  // tests/support/test_backends.h: reached over SSH
  remote.task = "bench";
  remote.state = core::SessionState::running;
  remote.created_at = core::now_ms();
  // Recorded as its backend would, on the service's database.
  auto store = core::Store::open(home.path());
  must(store);
  must(store.value()->insert(remote));
  must(core::EndpointStore(store.value()->database()).pin(remote.id, endpoint));
  const int ssh_runs = std::max(10, runs / 4);
  report("ssh check (handshake + pinned key)", measure(ssh_runs, [&] {
           if (!core::check_ssh(endpoint, 3s).reachable) std::exit(1);
         }));
  report("ssh attach_info", measure(ssh_runs, [&] { must(service.attach_info(remote.id)); }));
  report("ssh screen (sign in + capture-pane)",
         measure(ssh_runs, [&] { must(service.screen(remote.id)); }));
  report("ssh send (sign in + send-keys)", measure(ssh_runs, [&] {
           must(service.send_keys(remote.id, {"true", {}, true}));
         }));

  core::SshEndpoint closed = endpoint;
  closed.port = testing::free_port();
  report("dead endpoint: nothing listening",
         measure(ssh_runs, [&] { core::check_ssh(closed, 3s); }));
  testing::SilentListener hung;
  core::SshEndpoint silent = endpoint;
  silent.port = hung.port();
  report("dead endpoint: silent listener", measure(2, [&] { core::check_ssh(silent, 2900ms); }));
  must(service.stop(local->id, 0));
  return 0;
}
