// Parhelia's Modal client against the stand-in Modal API, beside Python's grpcio doing the
// same calls in the same run: 1,000 unary calls (AppGetOrCreate) one after another, and a
// 100 MB sandbox log read as one stream. The stand-in is the same for both, so the difference
// is the clients'.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "bench/bench_stats.h"
#include "core/base/process.h"
#include "modal/api/modal_client.h"
#include "tests/support/modal_standin.h"

using namespace parhelia;
using namespace std::chrono_literals;

int main() {
  testing::ModalStandin standin;
  modal::ModalCredentials credentials;
  credentials.token_id = standin.options().token_id;
  credentials.token_secret = standin.options().token_secret;
  credentials.server_url = standin.url();
  auto opened = modal::ModalClient::open(credentials, {.ca_file = standin.ca_file()});
  if (!opened) {
    std::fprintf(stderr, "%s\n", opened.error().sentence().c_str());
    return 1;
  }
  auto& client = *opened.value();
  const std::string app = client.app_get_or_create("bench").value();
  const std::string image =
      client.image_get_or_create(app, {"FROM debian:bookworm-slim"}).value().image_id;
  modal::SandboxSpec spec;
  spec.app_id = app;
  spec.image_id = image;
  spec.entrypoint = {"sh", "-c", "head -c 100000000 /dev/zero | tr '\\0' x"};
  const std::string sandbox = client.sandbox_create(spec).value();
  while (!client.sandbox_wait(sandbox, 10s).value()) {
  }
  constexpr int calls = 1000;

  std::vector<double> ours = bench::measure(calls, [&] {
    if (!client.app_get_or_create("bench")) std::abort();
  });
  std::size_t bytes = 0;
  const auto started = std::chrono::steady_clock::now();
  auto follower =
      client.follow_sandbox_logs(sandbox, {.on_entry = [&](const modal::LogEntry& entry) {
                                   bytes += entry.data.size();
                                   return true;
                                 }});
  if (!follower->wait()) return 1;
  const double our_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  core::ProcessSpec python;
  python.argv = {"/usr/bin/python3",
                 std::string(PARHELIA_SOURCE_DIR) + "/bench/modal_grpcio_client.py",
                 standin.python_proto_dir().string(),
                 standin.url(),
                 standin.ca_file().string(),
                 credentials.token_id,
                 credentials.token_secret,
                 std::to_string(calls),
                 sandbox};
  auto ran = core::run_captured(python, std::chrono::minutes(5));
  if (!ran || ran->exit_status != 0) {
    std::fprintf(stderr, "grpcio client failed: %s\n",
                 ran ? ran->err.c_str() : ran.error().sentence().c_str());
    return 1;
  }
  const auto theirs = nlohmann::json::parse(ran->out);
  std::vector<double> their_micros = theirs["unary_micros"].get<std::vector<double>>();

  auto total = [](const std::vector<double>& micros) {
    double sum = 0;
    for (double m : micros) sum += m;
    return sum / 1e6;
  };
  bench::report("unary AppGetOrCreate: parhelia (libcurl)", ours);
  bench::report("unary AppGetOrCreate: python grpcio", their_micros);
  std::printf("%-40s %8.0f calls/s parhelia, %8.0f calls/s grpcio\n", "unary throughput",
              calls / total(ours), calls / total(their_micros));
  const double their_bytes = theirs["log_bytes"].get<double>();
  const double their_seconds = theirs["log_seconds"].get<double>();
  std::printf("%-40s %8.1f MB/s parhelia (%zu bytes), %8.1f MB/s grpcio (%.0f bytes)\n",
              "100 MB log stream", bytes / our_seconds / 1e6, bytes,
              their_bytes / their_seconds / 1e6, their_bytes);
  core::warn_on_error(client.sandbox_terminate(sandbox), "terminating the sandbox");
  return bytes == 100000000 && their_bytes == 100000000 ? 0 : 1;
}
