// A session's GPU request, as Modal spells it: "TYPE", "TYPE:COUNT" or just "COUNT" (any type).
#pragma once

#include <string>
#include <vector>

#include "core/base/result.h"

namespace parhelia::core {

struct GpuRequest {
  std::string type;  // upper case, "" for any
  int count = 0;     // 0: no GPU
};

// Types Modal offers (A10G is accepted for A10); counts 1..8 (A10: up to 4).
Result<GpuRequest> parse_gpu_request(const std::string& spec);
// Those types, sorted (for completing a GPU name).
std::vector<std::string> gpu_type_names();

// Whether a GPU of this name (as nvidia-smi says it) is of the type asked for: "A100-80GB"
// fits "NVIDIA A100-SXM4-80GB"; "A10" fits "NVIDIA A10G" but not "A100".
bool gpu_fits(const std::string& type, const std::string& gpu_name);

}  // namespace parhelia::core
