// Session latencies on the local backend: submit -> running (the time from the submit's
// record to the work's start, as the store records them), and, with 10,000 sessions in the
// store, status of one session and a page of the session list, both in core and over the MCP
// pipe as Claude Code sees them. Prints the median and p99 of each.
//   parhelia_bench_sessions [--quick]
#include <cstring>
#include <thread>

#include "bench/bench_stats.h"
#include "core/local/local_backend.h"
#include "core/service/sessions.h"
#include "tests/support/mcp_client.h"
#include "tests/support/workspace_fixture.h"

using namespace parhelia;
using namespace std::chrono_literals;
using bench::measure;
using bench::report;

int main(int argc, char** argv) {
  // Anything but --quick is refused: run with other arguments (as a supervisor would be),
  // this program must not start submitting sessions of its own.
  if (argc > 2 || (argc == 2 && std::strcmp(argv[1], "--quick") != 0)) {
    std::fprintf(stderr, "usage: parhelia_bench_sessions [--quick]\n");
    return 2;
  }
  const bool quick = argc == 2;
  testing::ParheliaHome home;
  testing::GitWorkspace workspace;
  ::setenv("PARHELIA_HOME", home.path().c_str(), 1);
  auto opened =
      core::SessionService::open(home.path(), core::local_backends(home.path(), PARHELIA_BINARY));
  if (!opened) {
    std::fprintf(stderr, "%s\n", opened.error().sentence().c_str());
    return 1;
  }
  core::SessionService& service = *opened.value();

  // submit -> running: submits one at a time, each a short command in a small git project.
  const int submits = quick ? 5 : 30;
  std::vector<double> to_running, submit_call;
  for (int i = 0; i < submits; ++i) {
    core::SubmitRequest request;
    request.command = "true";
    request.workspace = workspace.path().string();
    const auto start = std::chrono::steady_clock::now();
    auto session = service.submit(request);
    submit_call.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count());
    if (!session) {
      std::fprintf(stderr, "%s\n", session.error().sentence().c_str());
      return 1;
    }
    auto s = service.get(session->id);
    while (s && !core::is_terminal(s->state)) {
      std::this_thread::sleep_for(5ms);
      s = service.get(session->id);
    }
    if (!s || !s->started_at) {
      std::fprintf(stderr, "session %s did not run: %s\n", session->id.c_str(),
                   s ? s->error.c_str() : "?");
      return 1;
    }
    to_running.push_back(static_cast<double>(*s->started_at - s->created_at) * 1000.0);
  }
  report("submit call (returns)", submit_call);
  report("submit -> running (recorded)", to_running);

  // 10,000 sessions in the store.
  const int total = quick ? 2000 : 10000;
  auto store = core::Store::open(home.path());
  if (!store) return 1;
  std::string probe_id;
  for (int i = 0; i < total; ++i) {
    core::Session s;
    s.id = core::new_session_id();
    s.task = "echo " + std::to_string(i);
    s.workspace = workspace.path().string();
    s.created_at = core::now_ms() - (total - i);
    s.state = core::SessionState::queued;
    if (!store.value()->insert(s)) return 1;
    core::SessionUpdate done;
    done.finished_at = core::now_ms();
    done.exit_code = 0;
    (void)store.value()->transition(s.id, core::SessionState::queued, core::SessionState::failed,
                                    done, "bench");
    if (i == total / 2) probe_id = s.id;
  }
  const int lookups = quick ? 500 : 5000;
  core::SessionQuery page;
  page.limit = 20;
  report("core: status of one session (10k stored)",
         measure(lookups, [&] { (void)service.get(probe_id); }));
  report("core: session list, 20 newest (10k stored)",
         measure(lookups, [&] { (void)service.list(page); }));

  testing::McpClient client(
      {.environment = {"PARHELIA_HOME=" + home.path().string()}, .debug_tools = false});
  client.initialize();
  report("mcp: status tool, one session (10k)", measure(lookups, [&] {
           client.call_tool("status", {{"session_id", probe_id}});
         }));
  report("mcp: session tool, list 20 (10k)", measure(lookups, [&] {
           client.call_tool("session", {{"action", "list"}});
         }));
  return 0;
}
