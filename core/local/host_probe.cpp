#include "core/local/host_probe.h"

#include <unistd.h>

#include <mutex>
#include <sstream>
#include <thread>

#include "core/base/environment.h"
#include "core/base/process.h"

namespace parhelia::core {
namespace {

using namespace std::chrono_literals;

std::string trim(std::string text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  const auto end = text.find_last_not_of(" \t\r\n");
  return begin == std::string::npos ? std::string() : text.substr(begin, end - begin + 1);
}

void probe_sandbox(HostCapabilities& caps) {
  if (!find_executable("bwrap")) {
    caps.sandbox_problem =
        "bubblewrap (bwrap) is not installed; install it with `apt-get install bubblewrap`";
    return;
  }
  for (const char* tool : {"prlimit", "setpriv"}) {
    if (!find_executable(tool)) {
      caps.sandbox_problem = std::string(tool) +
                             " (util-linux) is not installed; install it with `apt-get install "
                             "util-linux`";
      return;
    }
  }
  // The features the sandbox uses (sandbox.h): a user namespace of its own, and as root the
  // hand-over to an unprivileged user who starts it.
  ProcessSpec spec;
  // As root, the outer one lays out the mounts and the inner one, started by nobody, takes the
  // layout whole; as a user, one does both.
  const std::vector<std::string> user_namespace = {
      "bwrap", "--unshare-user",   "--disable-userns", "--uid", "0", "--gid",
      "0",     "--die-with-parent"};
  const std::vector<std::string> layout = {"--ro-bind", "/",      "/",     "--dev",
                                           "/dev",      "--proc", "/proc", "--unshare-pid"};
  spec.argv = {"bwrap", "--die-with-parent"};
  if (::geteuid() == 0) {
    spec.argv.insert(spec.argv.end(), layout.begin(), layout.end());
    spec.argv.insert(spec.argv.end(), {"--", "setpriv", "--reuid", "65534", "--regid", "65534",
                                       "--clear-groups", "--"});
    spec.argv.insert(spec.argv.end(), user_namespace.begin(), user_namespace.end());
    spec.argv.insert(spec.argv.end(), {"--dev-bind", "/", "/", "--", "true"});
  } else {
    spec.argv = user_namespace;
    spec.argv.insert(spec.argv.end(), layout.begin(), layout.end());
    spec.argv.insert(spec.argv.end(), {"--", "true"});
  }
  auto run = run_captured(spec, 10s);
  if (run && run->exit_status == 0) {
    caps.sandbox_works = true;
  } else {
    caps.sandbox_problem = "bubblewrap cannot create a sandbox here (" +
                           trim(run ? run->err : run.error().message) +
                           "); unprivileged user namespaces may be disabled";
  }
}

void probe_gpus(HostCapabilities& caps) {
  if (!find_executable("nvidia-smi")) {
    caps.gpu_problem = "nvidia-smi is not installed, so no NVIDIA GPU can be used on this machine";
    return;
  }
  ProcessSpec spec;
  spec.argv = {"nvidia-smi", "--query-gpu=index,name,memory.total",
               "--format=csv,noheader,nounits"};
  auto run = run_captured(spec, 15s);
  if (!run || run->exit_status != 0) {
    caps.gpu_problem =
        "nvidia-smi failed (" + trim(run ? run->err + run->out : run.error().message) + ")";
    return;
  }
  caps.gpus = parse_nvidia_smi(run->out);
}

std::once_flag probe_once;
HostCapabilities probed;

}  // namespace

std::vector<GpuDevice> parse_nvidia_smi(const std::string& csv) {
  std::vector<GpuDevice> gpus;
  std::istringstream lines(csv);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string index, name, memory;
    if (!std::getline(fields, index, ',') || !std::getline(fields, name, ',')) continue;
    std::getline(fields, memory, ',');
    try {
      GpuDevice gpu{std::stoi(trim(index)), trim(name), 0};
      if (!trim(memory).empty()) gpu.memory_mib = std::stoll(trim(memory));
      gpus.push_back(gpu);
    } catch (const std::exception&) {
      // A line that is not a GPU row (a warning nvidia-smi printed) is skipped.
    }
  }
  return gpus;
}

const HostCapabilities& host_capabilities() {
  std::call_once(probe_once, [] {
    probe_sandbox(probed);
    probe_gpus(probed);
  });
  return probed;
}

void probe_host_in_background() {
  std::thread([] { host_capabilities(); }).detach();
}

Result<std::string> local_cuda_devices(const GpuRequest& request, const HostCapabilities& host) {
  if (request.count == 0) return std::string();
  std::vector<int> matching;
  std::string seen;
  for (const auto& gpu : host.gpus) {
    seen += (seen.empty() ? "" : ", ") + gpu.name;
    if (request.type.empty() || gpu_fits(request.type, gpu.name)) matching.push_back(gpu.index);
  }
  if (static_cast<int>(matching.size()) < request.count) {
    const std::string wanted = std::to_string(request.count) + " " +
                               (request.type.empty() ? "GPU" : request.type) +
                               (request.count > 1 ? "s" : "");
    const std::string has = !host.gpu_problem.empty() ? host.gpu_problem
                            : host.gpus.empty()       ? "this machine has no NVIDIA GPU"
                                                      : "this machine has " + seen;
    return Error{ErrorCode::unavailable, "This session needs " + wanted + ", but " + has + ".",
                 "Ask for what this machine has, or run it without --gpu."};
  }
  std::string devices;
  for (int i = 0; i < request.count; ++i) devices += (i ? "," : "") + std::to_string(matching[i]);
  return devices;
}

}  // namespace parhelia::core
