// A session's GPU request, as Modal spells it: "TYPE", "TYPE:COUNT" or just "COUNT" (any type).
#pragma once

#include <string>

#include "core/local/host_probe.h"
#include "core/base/result.h"

namespace parhelia::core {

struct GpuRequest {
  std::string type;  // upper case, "" for any
  int count = 0;     // 0: no GPU
};

// Types Modal offers (A10G is accepted for A10); counts 1..8 (A10: up to 4).
Result<GpuRequest> parse_gpu_request(const std::string& spec);

// CUDA_VISIBLE_DEVICES for the request on this machine, or a refusal that says what it has.
Result<std::string> local_cuda_devices(const GpuRequest& request, const HostCapabilities& host);

}  // namespace parhelia::core
