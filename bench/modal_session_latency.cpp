// Sessions on the Modal backend against the stand-in Modal API (tests/support/modal_standin):
// - submit -> running as the store records it, and the RPCs Parhelia made to get there (the
//   stand-in's own work is in the time: it is a Python gRPC server whose sandboxes are
//   processes, so the RPC count is the figure that carries over to Modal);
// - with 10,000 sessions stored, status of a followed (running) Modal session, in core and over
//   the MCP pipe: it must read the store only;
// - the bytes a first and an unchanged second submit of a large workspace send;
// - a checkpoint of that workspace's session with 10 of its files changed (the changed files
//   pulled here and the sandbox snapshotted on Modal), and a resume from it to running, from
//   the snapshot and, once Modal has lost it, from the copy here.
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
    // "workspace sent (N bytes compressed)", or "... sent as its difference from ... (N ...",
    // or "started from checkpoint ...'s snapshot ...; its difference sent (N ..."
    if (!line.starts_with("parhelia: workspace sent") &&
        !line.starts_with("parhelia: started from checkpoint"))
      continue;
    const auto at = line.find(" bytes compressed)");
    if (at != std::string::npos) return std::stoll(line.substr(line.rfind('(', at) + 1));
  }
  return -1;
}

// What the last checkpoint pulled from the sandbox, from the session's log.
long long bytes_pulled(const std::filesystem::path& home, const std::string& id) {
  std::ifstream log(core::SessionFiles::of(home, id).log);
  long long pulled = -1;
  for (std::string line; std::getline(log, line);) {
    const auto at = line.find("changed files pulled (");
    if (at != std::string::npos) pulled = std::stoll(line.substr(at + 22));
  }
  return pulled;
}

bool log_has(const std::filesystem::path& home, const std::string& id, const std::string& text) {
  std::ifstream log(core::SessionFiles::of(home, id).log);
  const std::string all(std::istreambuf_iterator<char>(log), {});
  return all.find(text) != std::string::npos;
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
  report("modal: submit -> running (recorded)", to_running);
  report("modal: RPCs submit -> running", rpcs_to_running, "RPCs");
  report("modal: RPCs of a whole session", rpcs_in_all, "RPCs");

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

  // The same workspace's session, 10 of its 1 MiB files changed before each checkpoint (the
  // work changes them when a line is typed into its terminal).
  auto worked = submit(
      "while read line; do for f in 0 1 2 3 4 5 6 7 8 9; do echo \"$line\" >> data-$f.bin; "
      "done; echo \"changed-$line\"; done",
      big.path().string());
  if (!worked || !wait_until(service, worked->id, running_or_ended)) return 1;
  std::vector<double> checkpoint_us, pulled;
  std::string latest;
  const int checkpoints = quick ? 1 : 5;
  for (int round = 1; round <= checkpoints; ++round) {
    const std::string word = "round" + std::to_string(round);
    bool typed = false;
    for (int i = 0; i < 600 && !typed; ++i) {  // its terminal comes up beside the work
      typed = static_cast<bool>(service.send_keys(worked->id, {word, {}, true}));
      if (!typed) std::this_thread::sleep_for(100ms);
    }
    for (int i = 0; i < 600 && !log_has(home.path(), worked->id, "changed-" + word); ++i)
      std::this_thread::sleep_for(50ms);
    const auto start = std::chrono::steady_clock::now();
    auto taken = service.create_checkpoint(worked->id, {});
    if (!taken || taken->checkpoint.sandbox_image.empty()) {
      std::fprintf(stderr, "the checkpoint failed or has no snapshot: %s\n",
                   taken ? "no snapshot" : taken.error().sentence().c_str());
      return 1;
    }
    checkpoint_us.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count());
    pulled.push_back(static_cast<double>(bytes_pulled(home.path(), worked->id)));
    latest = taken->checkpoint.id;
  }
  report("modal: checkpoint, 200 MiB, 10 changed", checkpoint_us);
  report("modal: bytes pulled by that checkpoint", pulled, "B");
  (void)service.stop(worked->id, 1);
  (void)wait_until(service, worked->id, ended);

  // Resumes of it to running: from the snapshot, then (Modal has lost it) from the copy here.
  for (const bool from_snapshot : {true, false}) {
    if (!from_snapshot) {
      auto checkpoint = service.checkpoint(latest);
      if (!checkpoint) return 1;
      standin.expire_image(checkpoint->sandbox_image);
    }
    core::ResumeRequest resume;
    resume.session_id = worked->id;
    resume.checkpoint_id = latest;
    auto resumed = service.resume(resume);
    if (!resumed) {
      std::fprintf(stderr, "%s\n", resumed.error().sentence().c_str());
      return 1;
    }
    auto s = wait_until(service, resumed->id, running_or_ended);
    if (!s || !s->started_at) return 1;
    std::printf("%-40s %.1f s to running, %lld bytes sent\n",
                from_snapshot ? "modal: resume from the snapshot" : "modal: resume from the copy",
                static_cast<double>(*s->started_at - s->created_at) / 1000.0,
                bytes_sent(home.path(), resumed->id));
    (void)service.stop(resumed->id, 1);
    (void)wait_until(service, resumed->id, ended);
  }
  return 0;
}
