// What this machine can give a local session: whether bubblewrap can sandbox here, and which
// NVIDIA GPUs there are. Both need a child process, so they are probed once per process (in
// the background where a server starts) and answered from memory afterwards.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "core/session/gpu_request.h"

namespace parhelia::core {

struct GpuDevice {
  int index = 0;
  std::string name;
  std::int64_t memory_mib = 0;
};

struct HostCapabilities {
  bool sandbox_works = false;
  std::string sandbox_problem;  // why not, in a sentence
  std::vector<GpuDevice> gpus;
  std::string gpu_problem;  // empty when nvidia-smi answered (even with no GPU)
};

// Probes on first use (thread-safe); later calls return at once.
const HostCapabilities& host_capabilities();
// Starts the probe on a background thread so that the first submit need not wait for it.
void probe_host_in_background();

// Reads `nvidia-smi --query-gpu=index,name,memory.total --format=csv,noheader,nounits`.
std::vector<GpuDevice> parse_nvidia_smi(const std::string& csv);

// CUDA_VISIBLE_DEVICES for the request on this machine, or a refusal that says what it has.
Result<std::string> local_cuda_devices(const GpuRequest& request, const HostCapabilities& host);

}  // namespace parhelia::core
