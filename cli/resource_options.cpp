#include "cli/resource_options.h"

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

void ResourceOptions::add_to(CLI::App& command, Use use) {
  const bool resume = use == Use::resume;
  command.add_option("--gpu", gpu,
                     resume ? "Another GPU (default: the session's)"
                            : "GPU as TYPE, TYPE:COUNT or COUNT (e.g. A10G, H100:2)");
  // Any name: the service refuses one this build lacks with the list of those it has (an
  // estimate prices modal even so).
  if (use == Use::estimate)
    command.add_option("--backend", backend,
                       "local or modal: whose prices (default: the configured one)");
  if (use == Use::resume)
    command.add_option("--backend", backend,
                       "Carry on in another backend: local or modal (default: the session's)");
  if (use == Use::submit)
    command.add_option("--backend", backend,
                       "Where it runs: local (this machine) or modal (a Modal sandbox; needs a "
                       "Modal token); default: config.json's sessions.backend, else local");
  command.add_option("--timeout", timeout,
                     resume ? "Another time limit, e.g. 90s, 30m, 2h"
                            : "Time limit: seconds or 90s, 30m, 2h (default 1h)");
  command.add_option(
      "--cpu", cpu,
      resume ? "Cores (default: the session's)" : "Cores to ask for and price (default 2)");
  command.add_option(
      "--memory", memory_gib,
      resume ? "Memory in GiB (default: the session's)" : "Memory in GiB (default 4)");
  command.add_option("--max-cost", max_cost,
                     resume ? "The new session's own cap in dollars"
                            : "The session's own cap in dollars; the budget watchdog stops it "
                              "there");
}

namespace {

// The options every use reads alike: the timeout in seconds and the cap in micro-dollars.
struct ReadOptions {
  std::optional<std::int64_t> timeout_s;
  std::optional<core::Micros> max_cost;
};

std::optional<std::string> read(const ResourceOptions& o, ReadOptions& out) {
  if (o.timeout) {
    out.timeout_s = parse_duration(*o.timeout);
    if (!out.timeout_s)
      return "--timeout " + *o.timeout +
             " is not a duration; use seconds or a unit, e.g. 90s, 30m, 2h.";
  }
  if (o.max_cost) {
    out.max_cost = core::micros_from_dollars(*o.max_cost);
    if (!out.max_cost) return "--max-cost must be a number of dollars, 0 or more.";
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> ResourceOptions::apply(core::SubmitRequest& request) const {
  ReadOptions read_options;
  if (auto wrong = read(*this, read_options)) return wrong;
  if (gpu) request.gpu = *gpu;
  if (!backend.empty()) request.backend = backend;
  if (read_options.timeout_s) request.timeout_s = *read_options.timeout_s;
  if (cpu) request.cpu_milli = core::milli_of(*cpu);
  if (memory_gib) request.memory_milli_gib = core::milli_of(*memory_gib);
  if (read_options.max_cost) request.max_cost = read_options.max_cost;
  return std::nullopt;
}

std::optional<std::string> ResourceOptions::apply(core::ResumeRequest& request) const {
  ReadOptions read_options;
  if (auto wrong = read(*this, read_options)) return wrong;
  request.gpu = gpu;
  if (!backend.empty()) request.backend = backend;
  request.timeout_s = read_options.timeout_s;
  if (cpu) request.cpu_milli = core::milli_of(*cpu);
  if (memory_gib) request.memory_milli_gib = core::milli_of(*memory_gib);
  request.max_cost = read_options.max_cost;
  return std::nullopt;
}

}  // namespace parhelia::cli
