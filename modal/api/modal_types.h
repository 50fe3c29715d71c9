// What Parhelia asks Modal for and what it learns back, as plain structs: the backend speaks
// these, and only modal/api knows the protobuf messages they travel as.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace parhelia::modal {

// How a sandbox (or an image build) ended, as Modal's GenericResult says.
enum class EndStatus {
  success,
  failure,
  terminated,
  timeout,
  init_failure,
  internal_failure,
  idle_timeout,
  evicted,  // MEMORY_MANAGER_EVICTION
  unknown,
};
const char* end_status_name(EndStatus status);  // "success", "timeout", ...

struct Outcome {
  EndStatus status = EndStatus::unknown;
  int exit_code = 0;
  std::string exception;  // Modal's words about a failure
};

using Tags = std::map<std::string, std::string>;

struct GpuSpec {
  std::string type;  // upper case, as Modal names them: "H100", "A100-80GB"
  unsigned count = 1;
};

struct SandboxSpec {
  std::string app_id;
  std::string app_name;  // to find the sandbox by name after a create whose answer was lost
  std::string name;      // unique within the app; empty: unnamed (a create is then not retried)
  std::vector<std::string> entrypoint;
  std::string image_id;
  std::vector<std::string> secret_ids;
  std::map<std::string, std::string> environment;
  std::optional<std::string> workdir;
  unsigned timeout_secs = 300;
  std::optional<unsigned> idle_timeout_secs;
  unsigned milli_cpu = 0;   // 0: Modal's default
  unsigned memory_mib = 0;  // 0: Modal's default
  std::optional<GpuSpec> gpu;
  std::vector<unsigned> unencrypted_ports;  // e.g. 22 for sshd
  std::optional<unsigned> readiness_tcp_port;
  Tags tags;
  std::string cloud = {};  // "" lets Modal choose
};

struct Tunnel {
  unsigned container_port = 0;
  std::string host;  // TLS-terminated host and port
  unsigned port = 0;
  std::optional<std::string> unencrypted_host;  // raw TCP, for SSH
  std::optional<unsigned> unencrypted_port;
};

struct SandboxListing {
  std::string id;
  std::string name;
  std::string app_id;
  double created_at = 0;  // seconds since the epoch
  double started_at = 0;
  double finished_at = 0;
  std::optional<Outcome> outcome;  // set once it ended
  Tags tags;
  unsigned timeout_secs = 0;
  std::string gpu_type;
};

// What Modal bills a sandbox for so far.
struct ResourceUsage {
  std::uint64_t cpu_core_nanoseconds = 0;
  std::uint64_t memory_gib_nanoseconds = 0;
  std::uint64_t gpu_nanoseconds = 0;
  std::string gpu_type;
};

// One piece of a log: its text and the entry id a resumed stream starts after.
struct LogEntry {
  std::string data;
  std::string entry_id;
  bool from_stderr = false;
};

enum class LogStream { both, stdout_only, stderr_only };

struct ExecSpec {
  std::string exec_id;  // chosen by Parhelia (a UUID): a repeated start is the same exec
  std::vector<std::string> argv;
  std::optional<std::string> workdir;
  std::map<std::string, std::string> environment;
  std::vector<std::string> secret_ids;
  std::optional<unsigned> timeout_secs;
  bool stderr_to_stdout = false;
};

struct ExecExit {
  std::optional<int> code;
  std::optional<int> signal;
};

}  // namespace parhelia::modal
