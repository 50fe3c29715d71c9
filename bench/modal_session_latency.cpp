// Sessions on the Modal backend against the stand-in Modal API (tests/support/modal_standin):
// - submit -> running as the store records it, and the RPCs Parhelia made to get there (the
//   stand-in's own work is in the time: it is a Python gRPC server whose sandboxes are
//   processes, so the RPC count is the figure that carries over to Modal);
// - with 10,000 sessions stored, status of a followed (running) Modal session, in core and over
//   the MCP pipe: it must read the store only;
// - the bytes a first and an unchanged second submit of a large workspace send.
//   parhelia_bench_modal_sessions [--quick]
#include <cstring>
#include <fstream>
#include <random>
#include <thread>

#include "bench/bench_stats.h"
#include "core/local/local_backend.h"
#include "core/service/sessions.h"
#include "modal/backend/modal_backend.h"
#include "tests/support/mcp_client.h"
#include "tests/support/modal_standin.h"
#include "tests/support/workspace_fixture.h"

using namespace parhelia;
using namespace std::chrono_literals;
using bench::measure;
using bench::report;

namespace {

core::Result<core::Session> wait_until(core::SessionService& service, const std::string& id,
                                       bool (*done)(const core::Session&)) {
  for (int i = 0; i < 12000; ++i) {
    auto s = service.get(id);
    if (!s || done(s.value())) return s;
    std::this_thread::sleep_for(5ms);
  }
  return core::Error{core::ErrorCode::unavailable, "session " + id + " took too long", ""};
}

bool running_or_ended(const core::Session& s) {
  return s.state == core::SessionState::running || core::is_terminal(s.state);
}
bool ended(const core::Session& s) {
  return core::is_terminal(s.state);
}

// The supervisor's own count of what it sent, from the session's log.
long long bytes_sent(const std::filesystem::path& home, const std::string& id) {
  std::ifstream log(core::SessionFiles::of(home, id).log);
  for (std::string line; std::getline(log, line);) {
    // "workspace sent (N bytes compressed)", or "... sent as its difference from ... (N ..."
    if (!line.starts_with("parhelia: workspace sent")) continue;
    const auto at = line.find(" bytes compressed)");
    if (at != std::string::npos) return std::stoll(line.substr(line.rfind('(', at) + 1));
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 2 || (argc == 2 && std::strcmp(argv[1], "--quick") != 0)) {
    std::fprintf(stderr, "usage: parhelia_bench_modal_sessions [--quick]\n");
    return 2;
  }
  const bool quick = argc == 2;
  testing::ModalStandin standin;
  testing::ParheliaHome home;
  testing::GitWorkspace workspace;
  ::setenv("PARHELIA_HOME", home.path().c_str(), 1);
  ::setenv("MODAL_TOKEN_ID", standin.options().token_id.c_str(), 1);
  ::setenv("MODAL_TOKEN_SECRET", standin.options().token_secret.c_str(), 1);
  ::setenv("MODAL_SERVER_URL", standin.url().c_str(), 1);
  ::setenv("PARHELIA_MODAL_CA_FILE", standin.ca_file().c_str(), 1);
  core::Backends backends = core::local_backends(home.path(), PARHELIA_BINARY);
  backends.add(std::make_unique<modal::ModalBackend>(home.path(), PARHELIA_BINARY));
  auto opened = core::SessionService::open(home.path(), std::move(backends));
  if (!opened) {
    std::fprintf(stderr, "%s\n", opened.error().sentence().c_str());
    return 1;
  }
  core::SessionService& service = *opened.value();
  const auto submit = [&](const std::string& command, const std::string& dir) {
    core::SubmitRequest request;
    request.command = command;
    request.backend = "modal";
    request.workspace = dir;
    return service.submit(request);
  };

  // submit -> running, one at a time; the first also builds the image.
  const int submits = quick ? 3 : 10;
  std::vector<double> to_running, rpcs_to_running, rpcs_in_all;
  for (int i = 0; i < submits; ++i) {
    const std::size_t before = standin.requests().size();
    auto session = submit("true", workspace.path().string());
    if (!session) {
      std::fprintf(stderr, "%s\n", session.error().sentence().c_str());
      return 1;
    }
    auto s = wait_until(service, session->id, running_or_ended);
    if (!s || !s->started_at) {
      std::fprintf(stderr, "session %s did not run: %s\n", session->id.c_str(),
                   s ? s->error.c_str() : s.error().sentence().c_str());
      return 1;
    }
    const double started_s = static_cast<double>(*s->started_at) / 1000.0;
    int up_to_running = 0;
    const auto requests = standin.requests();
    for (std::size_t r = before; r < requests.size(); ++r)
      if (requests[r]["at"].get<double>() <= started_s) ++up_to_running;
    if (i > 0) {  // the first builds the image: its count is not the usual one
      to_running.push_back(static_cast<double>(*s->started_at - s->created_at) * 1000.0);
      rpcs_to_running.push_back(up_to_running);
    }
    if (!wait_until(service, session->id, ended)) return 1;
    if (i > 0) rpcs_in_all.push_back(static_cast<double>(standin.requests().size() - before));
  }
  report("modal: submit -> running (recorded, us)", to_running);
  report("modal: RPCs submit -> running (count)", rpcs_to_running);
  report("modal: RPCs of a whole session (count)", rpcs_in_all);

  // 10,000 sessions in the store, and one Modal session running under its supervisor.
  const int total = quick ? 2000 : 10000;
  auto store = core::Store::open(home.path());
  if (!store) return 1;
  for (int i = 0; i < total; ++i) {
    core::Session s;
    s.id = core::new_session_id();
    s.task = "echo " + std::to_string(i);
    s.workspace = workspace.path().string();
    s.created_at = core::now_ms() - (total - i);
    s.backend = "modal";
    if (!store.value()->insert(s)) return 1;
    core::SessionUpdate done;
    done.finished_at = core::now_ms();
    done.exit_code = 0;
    (void)store.value()->transition(s.id, core::SessionState::queued, core::SessionState::failed,
                                    done, "bench");
  }
  auto followed = submit("sleep 120", workspace.path().string());
  if (!followed || !wait_until(service, followed->id, running_or_ended)) return 1;
  const std::size_t rpcs_before = standin.requests().size();
  const int lookups = quick ? 500 : 5000;
  report("core: status of a followed modal session (10k)",
         measure(lookups, [&] { (void)service.get(followed->id); }));
  testing::McpClient client(
      {.environment = {"PARHELIA_HOME=" + home.path().string()}, .debug_tools = false});
  client.initialize();
  report("mcp: status tool, followed modal session (10k)", measure(lookups, [&] {
           client.call_tool("status", {{"session_id", followed->id}});
         }));
  // The server lists this install's sandboxes once after it answered (one listing's calls).
  std::printf("%-40s %zu\n", "RPCs made by the status calls",
              standin.requests().size() - rpcs_before);
  (void)service.stop(followed->id, 1);
  (void)wait_until(service, followed->id, ended);

  // A large workspace: incompressible files, sent first and then again unchanged.
  testing::TempDir big;
  const int files = quick ? 20 : 200;
  std::mt19937_64 random(42);
  std::string block(1 << 20, '\0');
  for (int f = 0; f < files; ++f) {
    for (std::size_t at = 0; at + 8 <= block.size(); at += 8) {
      const std::uint64_t value = random();
      std::memcpy(block.data() + at, &value, 8);
    }
    std::ofstream(big.path() / ("data-" + std::to_string(f) + ".bin"), std::ios::binary) << block;
  }
  for (int round = 1; round <= 2; ++round) {
    const auto start = std::chrono::steady_clock::now();
    auto session = submit("true", big.path().string());
    if (!session) return 1;
    auto s = wait_until(service, session->id, running_or_ended);
    if (!s || !s->started_at) {
      std::fprintf(stderr, "the large workspace's session did not run: %s\n",
                   s ? s->error.c_str() : s.error().sentence().c_str());
      return 1;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%-40s %lld bytes of a %d MiB workspace, %.1f s to running\n",
                round == 1 ? "modal: first submit sends" : "modal: unchanged second sends",
                bytes_sent(home.path(), session->id), files, seconds);
    (void)wait_until(service, session->id, ended);
  }
  return 0;
}
