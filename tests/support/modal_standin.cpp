#include "tests/support/modal_standin.h"

#include <httplib.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <stdexcept>

namespace parhelia::testing {
namespace {

// Runs a helper program to completion; its output in the exception when it fails.
void run_or_throw(std::vector<std::string> argv) {
  core::ProcessSpec spec;
  spec.argv = std::move(argv);
  auto ran = core::run_captured(spec, std::chrono::seconds(60));
  if (!ran || ran->exit_status != 0) {
    throw std::runtime_error("modal stand-in setup: " + spec.argv[0] +
                             " failed: " + (ran ? ran->err : ran.error().sentence()));
  }
}

}  // namespace

ModalStandin::ModalStandin(ModalStandinOptions options) : options_(std::move(options)) {
  const auto dir = dir_.path();
  const std::string source = PARHELIA_SOURCE_DIR;
  // A CA of this test's own and a certificate for 127.0.0.1 that it signed.
  ca_file_ = dir / "ca.pem";
  run_or_throw({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", (dir / "ca.key").string(),
                "-out", ca_file_.string(), "-days", "2", "-subj", "/CN=Parhelia test CA"});
  run_or_throw({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", (dir / "server.key").string(), "-out",
                (dir / "server.csr").string(), "-subj", "/CN=127.0.0.1"});
  std::ofstream(dir / "server.ext") << "subjectAltName=IP:127.0.0.1\n";
  run_or_throw({"openssl", "x509", "-req", "-in", (dir / "server.csr").string(), "-CA",
                ca_file_.string(), "-CAkey", (dir / "ca.key").string(), "-CAcreateserial", "-out",
                (dir / "server.pem").string(), "-days", "2", "-extfile",
                (dir / "server.ext").string()});
  // The messages for the Python server, from the same .proto files the client is built from.
  std::filesystem::create_directories(dir / "proto");
  run_or_throw({"protoc", "-I" + source + "/modal/proto",
                "--python_out=" + (dir / "proto").string(), source + "/modal/proto/api.proto",
                source + "/modal/proto/task_command_router.proto"});

  core::ProcessSpec spec;
  // Debian's interpreter, which sees python3-grpcio (a python3 on PATH may be another build).
  spec.argv = {"/usr/bin/python3",
               source + "/tests/support/modal_standin/standin.py",
               "--state-dir",
               (dir / "state").string(),
               "--proto-out",
               (dir / "proto").string(),
               "--cert",
               (dir / "server.pem").string(),
               "--key",
               (dir / "server.key").string(),
               "--token-id",
               options_.token_id,
               "--token-secret",
               options_.token_secret,
               "--auth-token-lifetime-s",
               std::to_string(options_.auth_token_lifetime_s),
               "--list-page-size",
               std::to_string(options_.list_page_size)};
  if (options_.with_proxy) spec.argv.push_back("--with-proxy");
  spec.pipe_stdout = true;
  spec.merge_stderr = true;
  auto started = core::ChildProcess::start(spec);
  if (!started) throw std::runtime_error("modal stand-in: " + started.error().sentence());
  server_.emplace(std::move(started).value());

  std::string said;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < give_up) {
    pollfd fd{server_->stdout_fd(), POLLIN, 0};
    if (::poll(&fd, 1, 200) <= 0) continue;
    char buffer[4096];
    const auto n = ::read(server_->stdout_fd(), buffer, sizeof buffer);
    if (n <= 0) break;
    said.append(buffer, static_cast<std::size_t>(n));
    const auto ready = said.find("READY grpc=");
    if (ready != std::string::npos && said.find('\n', ready) != std::string::npos) {
      if (std::sscanf(said.c_str() + ready, "READY grpc=%d control=%d", &grpc_port_,
                      &control_port_) == 2) {
        return;
      }
    }
  }
  server_->send_signal(SIGKILL);
  throw std::runtime_error("modal stand-in did not start: " + said);
}

ModalStandin::~ModalStandin() {
  if (!server_) return;
  server_->send_signal(SIGTERM);
  if (!server_->wait_for(std::chrono::seconds(5))) server_->send_signal(SIGKILL);
}

std::string ModalStandin::url() const {
  return "https://127.0.0.1:" + std::to_string(grpc_port_);
}

std::vector<std::string> ModalStandin::user_environment() const {
  return {"MODAL_TOKEN_ID=" + options_.token_id, "MODAL_TOKEN_SECRET=" + options_.token_secret,
          "MODAL_SERVER_URL=" + url(), "PARHELIA_MODAL_CA_FILE=" + ca_file_.string()};
}

nlohmann::json ModalStandin::control(const std::string& method, const std::string& path,
                                     const std::string& body) const {
  httplib::Client client("127.0.0.1", control_port_);
  client.set_read_timeout(30, 0);
  httplib::Result answer = method == "GET"      ? client.Get(path)
                           : method == "DELETE" ? client.Delete(path)
                                                : client.Post(path, body, "application/json");
  if (!answer) throw std::runtime_error("modal stand-in control: no answer for " + path);
  if (answer->status != 200) {
    throw std::runtime_error("modal stand-in control: " + path + ": " + answer->body);
  }
  return nlohmann::json::parse(answer->body);
}

nlohmann::json ModalStandin::requests(std::string_view method) const {
  return control("GET", method.empty() ? "/requests" : "/requests?method=" + std::string(method));
}

void ModalStandin::inject(const nlohmann::json& fault) {
  control("POST", "/faults", fault.dump());
}

void ModalStandin::clear_faults() {
  control("DELETE", "/faults");
}

void ModalStandin::expire_image(const std::string& image_id) {
  control("DELETE", "/images/" + image_id);
}

void ModalStandin::evict(const std::string& sandbox_id) {
  control("POST", "/sandboxes/" + sandbox_id + "/evict");
}

nlohmann::json ModalStandin::sandboxes() const {
  return control("GET", "/sandboxes");
}

}  // namespace parhelia::testing
