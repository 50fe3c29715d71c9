// How fast `parhelia` starts and answers, against the floor of a C program that only answers
// (bench/c_responder.c), measured side by side in one run since this machine is noisy:
// - spawn -> initialize answered, for `parhelia mcp` and the C responder, in pairs;
// - spawn -> exit for `--version`, in pairs;
// - tools/list round trips on a warm server, through a raw pipe client that only finds the
//   end of the line (a JSON parser in the client would measure the client);
// - the resident memory of an idle `parhelia mcp` after initialize and after tools/list.
//   parhelia_bench_startup [--runs N] [--parhelia PATH] [--responder PATH]
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_stats.h"
#include "core/base/process.h"
#include "tests/support/temp_dir.h"

namespace {

using Clock = std::chrono::steady_clock;
using parhelia::core::ChildProcess;
using parhelia::core::ProcessSpec;

double micros_since(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

void write_line(int fd, const std::string& line) {
  std::string bytes = line + "\n";
  for (std::size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) throw std::runtime_error("the server's stdin is closed");
    done += static_cast<std::size_t>(n);
  }
}

// Reads up to the end of one line (kept in `buffer` past it) within 10 s.
std::string read_line(int fd, std::string& buffer) {
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  char chunk[65536];
  while (true) {
    if (const auto end = buffer.find('\n'); end != std::string::npos) {
      std::string line = buffer.substr(0, end);
      buffer.erase(0, end + 1);
      return line;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd pfd{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0)
      throw std::runtime_error("no answer within 10 s");
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0) throw std::runtime_error("the server's stdout ended");
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
}

ChildProcess start(const std::vector<std::string>& argv, bool pipe_stdin) {
  auto child = ChildProcess::start({.argv = argv, .pipe_stdin = pipe_stdin, .pipe_stdout = true});
  if (!child) throw std::runtime_error("cannot start " + argv[0]);
  return std::move(child).value();
}

const std::string kInitialize =
    R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
    R"("capabilities":{},"clientInfo":{"name":"bench","version":"1"}}})";
const std::string kInitialized = R"({"jsonrpc":"2.0","method":"notifications/initialized"})";

// Spawn -> the initialize answer read whole; then end of input and the exit.
double time_initialize(const std::string& program) {
  const auto begin = Clock::now();
  auto child = start({program, "mcp"}, true);
  write_line(child.stdin_fd(), kInitialize);
  std::string buffer;
  const std::string answer = read_line(child.stdout_fd(), buffer);
  const double micros = micros_since(begin);
  if (answer.find("\"protocolVersion\"") == std::string::npos)
    throw std::runtime_error(program + " answered initialize with: " + answer.substr(0, 200));
  child.close_stdin();
  child.wait_for(std::chrono::seconds(5));
  return micros;
}

// Spawn -> `--version` printed and the process reaped.
double time_version(const std::string& program) {
  const auto begin = Clock::now();
  auto child = start({program, "--version"}, false);
  std::string out;
  char chunk[256];
  for (ssize_t n; (n = ::read(child.stdout_fd(), chunk, sizeof chunk)) > 0;)
    out.append(chunk, static_cast<std::size_t>(n));
  const auto status = child.wait_for(std::chrono::seconds(5));
  const double micros = micros_since(begin);
  if (!status || *status != 0 || out.empty())
    throw std::runtime_error(program + " --version failed");
  return micros;
}

long resident_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// Pairs run in alternating order, so that a drift in the machine's speed hits both sides.
void compare(const char* what, int runs, double goal, const std::function<double(bool)>& time) {
  std::vector<double> ours, floor, ratios;
  for (int i = 0; i < runs; ++i) {
    double a = 0, b = 0;
    if (i % 2 == 0) {
      a = time(true);
      b = time(false);
    } else {
      b = time(false);
      a = time(true);
    }
    ours.push_back(a);
    floor.push_back(b);
    ratios.push_back(a / b);
  }
  std::printf("%s\n", what);
  parhelia::bench::report("  parhelia", ours);
  parhelia::bench::report("  C responder", floor);
  std::printf("  %-38s median %9.2f x (goal <= %.0f x)\n", "ratio, paired", median(ratios), goal);
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 30;
  std::string parhelia = PARHELIA_BINARY;
  std::string responder = PARHELIA_C_RESPONDER;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--runs" && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--parhelia" && i + 1 < argc) {
      parhelia = argv[++i];
    } else if (arg == "--responder" && i + 1 < argc) {
      responder = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: parhelia_bench_startup [--runs N] [--parhelia PATH] [--responder "
                   "PATH]\n");
      return 2;
    }
  }
  // A home of its own that has been used once, as a user's is when Claude Code starts the
  // server; the first run makes its database.
  parhelia::testing::ParheliaHome home;
  ::setenv("PARHELIA_HOME", home.path().c_str(), 1);
  try {
    time_initialize(parhelia);
    std::printf("%s (%d paired runs)\n", parhelia.c_str(), runs);
    compare("spawn -> initialize answered", runs, 3,
            [&](bool ours) { return time_initialize(ours ? parhelia : responder); });
    compare("spawn -> --version printed and exited", runs, 2,
            [&](bool ours) { return time_version(ours ? parhelia : responder); });

    auto server = start({parhelia, "mcp"}, true);
    std::string buffer;
    write_line(server.stdin_fd(), kInitialize);
    read_line(server.stdout_fd(), buffer);
    write_line(server.stdin_fd(), kInitialized);
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const long after_initialize = resident_kib(server.pid());

    std::size_t answer_bytes = 0;
    long long id = 100;
    const auto list = [&] {
      write_line(server.stdin_fd(),
                 R"({"jsonrpc":"2.0","id":)" + std::to_string(++id) + R"(,"method":"tools/list"})");
      answer_bytes = read_line(server.stdout_fd(), buffer).size();
    };
    for (int i = 0; i < 50; ++i) list();  // warm
    const auto round_trips = parhelia::bench::measure(std::max(100, runs * 100), list);
    std::printf("tools/list on a warm server (%zu-byte answer, raw pipe client)\n", answer_bytes);
    parhelia::bench::report("  round trip (goal p99 <= 500 us)", round_trips);
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const long after_list = resident_kib(server.pid());
    std::printf("idle resident memory of parhelia mcp (goal <= 8 MB)\n");
    std::printf("  %-38s %9.2f MB\n", "after initialize",
                static_cast<double>(after_initialize) / 1024);
    std::printf("  %-38s %9.2f MB\n", "after tools/list", static_cast<double>(after_list) / 1024);
    server.close_stdin();
    server.wait_for(std::chrono::seconds(5));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "parhelia_bench_startup: %s\n", e.what());
    return 1;
  }
  return 0;
}
