#include "cli/resource_options.h"

#include <cmath>

namespace parhelia::cli {

std::optional<std::int64_t> parse_duration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::size_t used = 0;
  long long value = 0;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  const std::string unit = text.substr(used);
  const long long scale = unit.empty() || unit == "s" ? 1
                          : unit == "m"               ? 60
                          : unit == "h"               ? 3600
                                                      : 0;
  if (scale == 0 || value <= 0) return std::nullopt;
  return value * scale;
}

void ResourceOptions::add_to(CLI::App& command, bool with_backend) {
  command.add_option("--gpu", gpu, "GPU as TYPE, TYPE:COUNT or COUNT (e.g. A10G, H100:2)");
  if (with_backend)
    command.add_option("--backend", backend, "local (default) or modal")
        ->check(CLI::IsMember({"local", "modal"}));
  command.add_option("--timeout", timeout, "Time limit: seconds or 90s, 30m, 2h (default 1h)");
  command.add_option("--cpu", cpu, "Cores to ask for and price (default 2)");
  command.add_option("--memory", memory_gib, "Memory in GiB (default 4)");
  command.add_option("--max-cost", max_cost,
                     "The session's own cap in dollars; the budget watchdog stops it there");
}

std::optional<std::string> ResourceOptions::apply(core::SubmitRequest& request) const {
  const auto seconds = parse_duration(timeout);
  if (!seconds)
    return "--timeout " + timeout + " is not a duration; use seconds or a unit, e.g. 90s, 30m, 2h.";
  request.gpu = gpu;
  request.backend = backend;
  request.timeout_s = *seconds;
  request.cpu_milli = core::milli_of(cpu);
  request.memory_milli_gib = core::milli_of(memory_gib);
  if (max_cost) {
    request.max_cost = core::micros_from_dollars(*max_cost);
    if (!request.max_cost) return "--max-cost must be a number of dollars, 0 or more.";
  }
  return std::nullopt;
}

}  // namespace parhelia::cli
