// The stand-in Modal API (modal_standin/standin.py) started for one test: a gRPC server over
// TLS on 127.0.0.1 with a test CA made for it, whose sandboxes are real processes, and a
// control server through which the test reads what it was asked and injects faults.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/process.h"
#include "tests/support/temp_dir.h"

namespace parhelia::testing {

struct ModalStandinOptions {
  std::string token_id = "ak-standin";
  std::string token_secret = "as-standin-secret-planted";
  int auth_token_lifetime_s = 3600;
  int list_page_size = 100;
  bool with_proxy = false;  // a TCP pass-through in front, for the drop_connection fault
};

class ModalStandin {
 public:
  // Throws std::runtime_error with what the server said when it does not start in 20 s.
  explicit ModalStandin(ModalStandinOptions options = {});
  ~ModalStandin();
  ModalStandin(const ModalStandin&) = delete;
  ModalStandin& operator=(const ModalStandin&) = delete;

  std::string url() const;  // "https://127.0.0.1:PORT"
  const std::filesystem::path& ca_file() const { return ca_file_; }
  const ModalStandinOptions& options() const { return options_; }
  // What a user with a Modal token has, pointed at the stand-in: "K=V" entries.
  std::vector<std::string> user_environment() const;
  std::filesystem::path state_dir() const { return dir_.path() / "state"; }
  // The Python messages generated for the server, for a Python client beside it.
  std::filesystem::path python_proto_dir() const { return dir_.path() / "proto"; }

  // Every request received (or those of one method): method, service, headers, request (as
  // JSON), status, fault.
  nlohmann::json requests(std::string_view method = {}) const;
  // {"method": "SandboxCreate" | "*", "kind": "unavailable" | "resource_exhausted" | "slow" |
  //  "silent" | "cut_stream" | "drop_connection" | "lose_answer" | "expire_auth_token",
  //  "times": 1, "delay_s": ..., "after_messages": ..., "message": ...}; with "for_s": N
  //  instead of "times", every matching call for N seconds (an outage).
  void inject(const nlohmann::json& fault);
  void clear_faults();
  // Modal no longer has the image (a snapshot that expired): a create from it is NOT_FOUND.
  void expire_image(const std::string& image_id);
  // Modal ends the sandbox as evicted (MEMORY_MANAGER_EVICTION), as it would a lost host.
  void evict(const std::string& sandbox_id);
  nlohmann::json sandboxes() const;  // id, name, app_id, state, pid, root

 private:
  nlohmann::json control(const std::string& method, const std::string& path,
                         const std::string& body = {}) const;
  ModalStandinOptions options_;
  TempDir dir_;
  std::filesystem::path ca_file_;
  int grpc_port_ = 0;
  int control_port_ = 0;
  std::optional<core::ChildProcess> server_;
};

}  // namespace parhelia::testing
