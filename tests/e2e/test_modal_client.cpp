// Parhelia's Modal client against the stand-in Modal API (tests/support/modal_standin): gRPC
// over TLS with a test CA, sandboxes that are real processes, faults injected on request.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "core/base/process.h"
#include "modal/api/modal_client.h"
#include "tests/support/cli_runner.h"
#include "tests/support/modal_standin.h"
#include "tests/support/temp_dir.h"

using namespace parhelia;
using namespace parhelia::modal;
using namespace std::chrono_literals;

namespace {

ModalCredentials credentials_for(const testing::ModalStandin& standin, std::string secret = {}) {
  ModalCredentials credentials;
  credentials.token_id = standin.options().token_id;
  credentials.token_secret = secret.empty() ? standin.options().token_secret : secret;
  credentials.server_url = standin.url();
  credentials.source = CredentialSource::environment;
  return credentials;
}

std::unique_ptr<ModalClient> client_for(const testing::ModalStandin& standin,
                                        ModalClientOptions options = {}) {
  options.ca_file = standin.ca_file();
  options.retries.base_delay = 20ms;  // quick retries: the tests count them, not wait for them
  options.retries.throttled_base_delay = 50ms;
  auto client = ModalClient::open(credentials_for(standin), options);
  REQUIRE(client);
  return std::move(client.value());
}

std::string app_of(ModalClient& client, const std::string& name = "parhelia-test") {
  auto app = client.app_get_or_create(name);
  REQUIRE(app);
  return app.value();
}

std::string image_of(ModalClient& client, const std::string& app_id) {
  auto image = client.image_get_or_create(app_id, {"FROM debian:bookworm-slim"});
  REQUIRE(image);
  return image->image_id;
}

SandboxSpec shell(const std::string& app_id, const std::string& image_id, std::string script) {
  SandboxSpec spec;
  spec.app_id = app_id;
  spec.app_name = "parhelia-test";
  spec.image_id = image_id;
  spec.entrypoint = {"sh", "-c", std::move(script)};
  spec.timeout_secs = 60;
  return spec;
}

Outcome wait_end(ModalClient& client, const std::string& sandbox_id) {
  for (int i = 0; i < 30; ++i) {
    auto outcome = client.sandbox_wait(sandbox_id, 2s);
    REQUIRE(outcome);
    if (outcome.value()) return *outcome.value();
  }
  FAIL("the sandbox did not end");
  return {};
}

std::string header(const nlohmann::json& record, const std::string& name) {
  const auto& headers = record.at("headers");
  if (headers.contains(name)) {
    const auto& value = headers.at(name);
    return value.is_array() ? value.at(0).get<std::string>() : value.get<std::string>();
  }
  return {};
}

}  // namespace

TEST_CASE(
    "modal client: a sandbox runs, logs, ends with its exit code, sent as Modal's clients send",
    "[modal-client]") {
  testing::ModalStandin standin;
  auto client = client_for(standin);
  const std::string app = app_of(*client);
  CHECK(app_of(*client) == app);  // get-or-create: the same app again
  auto secret =
      client->secret_get_or_create("parhelia-anthropic", {{"ANTHROPIC_API_KEY", "sk-test"}});
  REQUIRE(secret);
  auto image = client->image_get_or_create(app, {"FROM debian:bookworm-slim", "RUN true"});
  REQUIRE(image);
  std::string build_log;
  auto built =
      client->image_join(image->image_id, [&](const std::string& line) { build_log += line; });
  REQUIRE(built);
  CHECK(built->status == EndStatus::success);

  SandboxSpec spec = shell(app, image->image_id,
                           "sleep 1; echo \"key=$ANTHROPIC_API_KEY\"; echo oops >&2; exit 3");
  spec.secret_ids = {secret.value()};
  spec.name = "parhelia-s1";
  spec.tags = {{"parhelia-install", "t1"}};
  auto sandbox = client->sandbox_create(spec);
  REQUIRE(sandbox);
  // By name while it runs (Modal finds running sandboxes by name only).
  auto by_name = client->sandbox_from_name("parhelia-test", "parhelia-s1");
  REQUIRE(by_name);
  CHECK(by_name.value() == sandbox.value());
  const Outcome outcome = wait_end(*client, sandbox.value());
  CHECK(outcome.status == EndStatus::failure);
  CHECK(outcome.exit_code == 3);

  std::string out, err;
  auto follower =
      client->follow_sandbox_logs(sandbox.value(), {.on_entry = [&](const LogEntry& entry) {
                                    (entry.from_stderr ? err : out) += entry.data;
                                    return true;
                                  }});
  REQUIRE(follower->wait());
  CHECK(out == "key=sk-test\n");
  CHECK(err == "oops\n");

  // Modal's headers on every call; the auth token on every call but AuthTokenGet.
  const auto creates = standin.requests("SandboxCreate");
  REQUIRE(creates.size() == 1);
  CHECK(header(creates[0], "x-modal-token-id") == standin.options().token_id);
  CHECK(header(creates[0], "x-modal-client-type") == "9");
  CHECK_FALSE(header(creates[0], "x-modal-auth-token").empty());
  CHECK(creates[0]["request"]["definition"]["timeout_secs"] == 60);
  CHECK(creates[0]["request"]["definition"]["name"] == "parhelia-s1");
  CHECK(standin.requests("AuthTokenGet").size() == 1);  // once per client
}

TEST_CASE("modal client: tags, lists page by page, resource usage grows, terminate, task id",
          "[modal-client]") {
  testing::ModalStandin standin({.list_page_size = 2});
  auto client = client_for(standin);
  const std::string app = app_of(*client);
  const std::string image = image_of(*client, app);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto id = client->sandbox_create(shell(app, image, "sleep 30"));
    REQUIRE(id);
    ids.push_back(id.value());
    std::this_thread::sleep_for(20ms);  // distinct creation times to page by
  }
  auto other = client->sandbox_create(shell(app, image, "sleep 30"));
  REQUIRE(other);
  for (const auto& id : ids) REQUIRE(client->sandbox_set_tags(id, {{"parhelia-install", "abc"}}));
  auto listed = client->sandbox_list(app, {{"parhelia-install", "abc"}}, false);
  REQUIRE(listed);
  REQUIRE(listed->size() == 3);       // two pages of two, the other sandbox left out
  CHECK(listed->at(0).id == ids[2]);  // newest first
  CHECK(listed->at(2).tags.at("parhelia-install") == "abc");
  CHECK(standin.requests("SandboxList").size() >= 2);

  auto task = client->sandbox_task_id(ids[0], 10s);
  REQUIRE(task);
  REQUIRE(task.value());
  auto first = client->sandbox_resource_usage(ids[0]);
  REQUIRE(first);
  std::this_thread::sleep_for(300ms);
  auto later = client->sandbox_resource_usage(ids[0]);
  REQUIRE(later);
  CHECK(later->cpu_core_nanoseconds > first->cpu_core_nanoseconds);
  CHECK(later->memory_gib_nanoseconds > first->memory_gib_nanoseconds);

  for (const auto& id : ids) REQUIRE(client->sandbox_terminate(id));
  REQUIRE(client->sandbox_terminate(other.value()));
  CHECK(wait_end(*client, ids[0]).status == EndStatus::terminated);
  auto ended = client->sandbox_terminate(ids[0]);  // again: harmless, answers how it ended
  REQUIRE(ended);
  REQUIRE(ended.value());
  CHECK(ended.value()->status == EndStatus::terminated);
}

TEST_CASE("modal client: a sandbox ends at its timeout with Modal's TIMEOUT status",
          "[modal-client]") {
  testing::ModalStandin standin;
  auto client = client_for(standin);
  const std::string app = app_of(*client);
  SandboxSpec spec = shell(app, image_of(*client, app), "sleep 60");
  spec.timeout_secs = 1;
  auto id = client->sandbox_create(spec);
  REQUIRE(id);
  CHECK(wait_end(*client, id.value()).status == EndStatus::timeout);
}

TEST_CASE(
    "modal client: a log stream cut midway resumes after its last entry, nothing lost or doubled",
    "[modal-client]") {
  testing::ModalStandin standin;
  auto client = client_for(standin);
  const std::string app = app_of(*client);
  auto id = client->sandbox_create(
      shell(app, image_of(*client, app),
            "i=0; while [ $i -lt 60 ]; do echo line-$i; i=$((i+1)); sleep 0.02; done"));
  REQUIRE(id);
  wait_end(*client, id.value());
  std::string expected;
  for (int i = 0; i < 60; ++i) expected += "line-" + std::to_string(i) + "\n";

  standin.inject(
      {{"method", "SandboxGetLogs"}, {"kind", "cut_stream"}, {"after_messages", 1}, {"times", 2}});
  std::string got;
  auto follower = client->follow_sandbox_logs(id.value(), {.on_entry = [&](const LogEntry& entry) {
                                                got += entry.data;
                                                return true;
                                              }});
  auto last = follower->wait();
  REQUIRE(last);
  CHECK(got.size() == expected.size());
  CHECK(got == expected);
  const auto reads = standin.requests("SandboxGetLogs");
  // The log came in pieces (a line every 20 ms), more than one batch of them: the first
  // stream was cut, and the next one asked for what came after the last entry received.
  REQUIRE(reads.size() >= 2);
  CHECK(reads[0].value("status", "") == "UNAVAILABLE");
  CHECK(reads[0].value("fault", "") == "cut_stream");
  CHECK(reads[1]["request"]["last_entry_id"] != "0-0");
}

TEST_CASE(
    "modal client: an exec's output is read while it runs, stdin is written, its exit is waited "
    "for",
    "[modal-client]") {
  testing::ModalStandin standin;
  auto client = client_for(standin);
  const std::string app = app_of(*client);
  auto id = client->sandbox_create(shell(app, image_of(*client, app), "sleep 60"));
  REQUIRE(id);
  auto task = client->sandbox_task_id(id.value(), 10s);
  REQUIRE(task);
  REQUIRE(task.value());
  auto router = client->command_router(*task.value());
  REQUIRE(router);

  REQUIRE(router.value()->exec_start(
      {.exec_id = "exec-1", .argv = {"sh", "-c", "echo one; sleep 1.5; echo two"}}));
  const auto started = std::chrono::steady_clock::now();
  std::chrono::milliseconds first_at{-1};
  std::string out;
  auto read = router.value()->exec_read("exec-1", false, 0, [&](std::string_view data) {
    if (out.empty()) {
      first_at = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - started);
    }
    out += data;
    return true;
  });
  REQUIRE(read);
  CHECK(out == "one\ntwo\n");
  CHECK(read.value() == out.size());
  CHECK(first_at.count() >= 0);
  CHECK(first_at < 1200ms);  // "one" came before "two" was written
  auto exit = router.value()->exec_wait("exec-1", 10s);
  REQUIRE(exit);
  CHECK(exit->code == 0);

  REQUIRE(router.value()->exec_start({.exec_id = "exec-2", .argv = {"cat"}}));
  REQUIRE(router.value()->exec_write_stdin("exec-2", 0, "abc", false));
  REQUIRE(router.value()->exec_write_stdin("exec-2", 0, "abc", false));  // a repeat is harmless
  REQUIRE(router.value()->exec_write_stdin("exec-2", 3, "def", true));
  std::string echoed;
  REQUIRE(router.value()->exec_read("exec-2", false, 0, [&](std::string_view data) {
    echoed += data;
    return true;
  }));
  CHECK(echoed == "abcdef");
  REQUIRE(router.value()->exec_wait("exec-2", 10s));
  // The router was called with its JWT, not with the API token.
  const auto starts = standin.requests("TaskExecStart");
  REQUIRE_FALSE(starts.empty());
  CHECK(header(starts[0], "authorization").rfind("Bearer ", 0) == 0);
  CHECK(header(starts[0], "x-modal-token-secret").empty());
}

TEST_CASE("modal client: a filesystem snapshot is a copy a later sandbox starts from",
          "[modal-client]") {
  testing::ModalStandin standin;
  auto client = client_for(standin);
  const std::string app = app_of(*client);
  SandboxSpec first =
      shell(app, image_of(*client, app), "mkdir -p tmp; echo kept > tmp/mark; sleep 60");
  first.workdir = "/";
  auto id = client->sandbox_create(first);
  REQUIRE(id);
  std::this_thread::sleep_for(500ms);
  auto snapshot = client->sandbox_snapshot_filesystem(id.value(), 30s);
  REQUIRE(snapshot);
  REQUIRE(client->sandbox_terminate(id.value()));
  SandboxSpec second = shell(app, snapshot.value(), "cat tmp/mark");
  second.workdir = "/";
  auto from_snapshot = client->sandbox_create(second);
  REQUIRE(from_snapshot);
  wait_end(*client, from_snapshot.value());
  std::string out;
  REQUIRE(client
              ->follow_sandbox_logs(from_snapshot.value(), {.on_entry =
                                                                [&](const LogEntry& e) {
                                                                  out += e.data;
                                                                  return true;
                                                                }})
              ->wait());
  CHECK(out == "kept\n");
}

TEST_CASE("modal client: a create whose answer is lost is retried and yields exactly one sandbox",
          "[modal-client]") {
  testing::ModalStandin standin;
  auto client = client_for(standin);
  const std::string app = app_of(*client);
  SandboxSpec spec = shell(app, image_of(*client, app), "sleep 30");
  spec.name = "parhelia-once";
  standin.inject({{"method", "SandboxCreate"}, {"kind", "lose_answer"}});
  auto id = client->sandbox_create(spec);
  REQUIRE(id);
  int named = 0;
  for (const auto& sandbox : standin.sandboxes()) {
    if (sandbox.value("name", "") == "parhelia-once") {
      ++named;
      CHECK(sandbox.value("id", "") == id.value());
    }
  }
  CHECK(named == 1);
  CHECK(standin.requests("SandboxCreate").size() == 2);
  CHECK(standin.requests("SandboxGetFromName").size() == 1);
  REQUIRE(client->sandbox_terminate(id.value()));
}

TEST_CASE(
    "modal client: UNAVAILABLE is retried with the same idempotency key, an expired auth token is "
    "renewed",
    "[modal-client]") {
  testing::ModalStandin standin;
  auto client = client_for(standin);
  standin.inject({{"method", "AppGetOrCreate"}, {"kind", "unavailable"}, {"times", 2}});
  REQUIRE(client->app_get_or_create("retried"));
  const auto calls = standin.requests("AppGetOrCreate");
  REQUIRE(calls.size() == 3);
  CHECK(header(calls[0], "x-retry-attempt") == "0");
  CHECK(header(calls[2], "x-retry-attempt") == "2");
  CHECK(header(calls[0], "x-idempotency-key") == header(calls[2], "x-idempotency-key"));

  standin.inject({{"method", "*"}, {"kind", "expire_auth_token"}});
  REQUIRE(client->app_get_or_create("after-expiry"));
  CHECK(standin.requests("AuthTokenGet").size() == 2);

  // A create without a name is not repeated: its sentence says a sandbox may exist.
  const std::string app = app_of(*client);
  const std::string image = image_of(*client, app);
  standin.inject({{"method", "SandboxCreate"}, {"kind", "unavailable"}});
  auto unnamed = client->sandbox_create(shell(app, image, "true"));
  REQUIRE_FALSE(unnamed);
  CHECK(unnamed.error().sentence().find("may have been made") != std::string::npos);
  CHECK(standin.requests("SandboxCreate").size() == 1);
}

TEST_CASE("modal client: a quota refusal says so, a silent server fails the call at its deadline",
          "[modal-client]") {
  testing::ModalStandin standin;
  auto client = client_for(standin, {.call_timeout = 2s});
  const std::string app = app_of(*client);
  const std::string image = image_of(*client, app);
  standin.inject({{"method", "SandboxCreate"}, {"kind", "resource_exhausted"}, {"times", 10}});
  auto refused = client->sandbox_create(shell(app, image, "true"));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().sentence().find("quota") != std::string::npos);
  CHECK(refused.error().sentence().find("H100") != std::string::npos);
  standin.clear_faults();

  standin.inject({{"method", "SandboxTerminate"}, {"kind", "silent"}, {"delay_s", 30}});
  const auto started = std::chrono::steady_clock::now();
  auto silent = client->sandbox_terminate("sb-none");
  const auto took = std::chrono::steady_clock::now() - started;
  REQUIRE_FALSE(silent);
  CHECK(silent.error().sentence().find("did not answer") != std::string::npos);
  CHECK(took >= 1800ms);
  CHECK(took <= 2200ms);
}

TEST_CASE("modal client: a dropped connection is survived by calls safe to repeat",
          "[modal-client]") {
  testing::ModalStandin standin({.with_proxy = true});
  auto client = client_for(standin);
  REQUIRE(client->app_get_or_create("before"));
  standin.inject({{"method", "AppGetOrCreate"}, {"kind", "drop_connection"}});
  REQUIRE(client->app_get_or_create("after"));
}

TEST_CASE(
    "modal client: a refused token gives the sentence, the secret and the auth token are found "
    "nowhere",
    "[modal-client]") {
  testing::ModalStandin standin;
  std::ostringstream captured;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  auto logger = std::make_shared<spdlog::logger>("captured", sink);
  logger->set_level(spdlog::level::trace);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);
  std::string sentences;
  {
    ModalClientOptions options{.ca_file = standin.ca_file()};
    options.retries.base_delay = 10ms;
    auto wrong = ModalClient::open(credentials_for(standin, "as-not-the-secret"), options);
    REQUIRE(wrong);
    auto refused = wrong.value()->app_get_or_create("x");
    REQUIRE_FALSE(refused);
    sentences += refused.error().sentence() + "\n";
    CHECK(refused.error().sentence().find("modal token new") != std::string::npos);
    CHECK(refused.error().sentence().find("MODAL_TOKEN_ID") != std::string::npos);
    CHECK(refused.error().sentence().find(standin.options().token_id) != std::string::npos);

    auto client = client_for(standin);
    standin.inject({{"method", "AppGetOrCreate"}, {"kind", "unavailable"}, {"times", 10}});
    auto failed = client->app_get_or_create("y");
    REQUIRE_FALSE(failed);
    sentences += failed.error().sentence() + "\n";
    standin.clear_faults();
    standin.inject({{"method", "*"}, {"kind", "expire_auth_token"}});
    REQUIRE(client->app_get_or_create("z"));
  }
  spdlog::set_default_logger(previous);
  const std::string logged = captured.str();
  CHECK(logged.find("attempt") != std::string::npos);  // the debug log did record the retries
  const std::string secret = standin.options().token_secret;
  CHECK(logged.find(secret) == std::string::npos);
  CHECK(sentences.find(secret) == std::string::npos);
  for (const auto& record : standin.requests()) {
    const std::string auth = header(record, "x-modal-auth-token");
    if (auth.empty()) continue;
    CHECK(logged.find(auth) == std::string::npos);
    CHECK(sentences.find(auth) == std::string::npos);
  }
}

TEST_CASE("modal client: an address that is not gRPC or not trusted is named with its fix",
          "[modal-client]") {
  testing::ModalStandin standin;
  ModalCredentials credentials = credentials_for(standin);
  // The system CA store does not know the stand-in's test CA.
  auto untrusted = ModalClient::open(
      credentials, {.ca_file = std::filesystem::path("/etc/ssl/certs/ca-certificates.crt")});
  REQUIRE(untrusted);
  auto tls = untrusted.value()->authenticate();
  REQUIRE_FALSE(tls);
  CHECK(tls.error().sentence().find("TLS") != std::string::npos);
  credentials.server_url = "http://127.0.0.1:1";
  auto plain = ModalClient::open(credentials);
  REQUIRE_FALSE(plain);
  CHECK(plain.error().sentence().find("https://") != std::string::npos);
}

TEST_CASE("doctor --json: no Modal token, a refused one and an accepted one, each with its fix",
          "[modal-client][cli]") {
  testing::ModalStandin standin;
  testing::TempDir user_home;
  const std::vector<std::string> base = {
      "HOME=" + user_home.path().string(),
      "MODAL_CONFIG_PATH=" + (user_home.path() / "absent.toml").string(),
      "PARHELIA_MODAL_CA_FILE=" + standin.ca_file().string(), "MODAL_SERVER_URL=" + standin.url()};
  auto doctor = [&](std::vector<std::string> extra) {
    std::vector<std::string> environment = base;
    environment.insert(environment.end(), extra.begin(), extra.end());
    testing::Cli cli(environment);
    auto run = cli.run({"doctor", "--json"});
    INFO(run.err);
    auto parsed = nlohmann::json::parse(run.out);
    // The secret is not in what doctor says nor in anything it wrote.
    CHECK(run.out.find(standin.options().token_secret) == std::string::npos);
    CHECK(run.err.find(standin.options().token_secret) == std::string::npos);
    for (const auto& entry : std::filesystem::recursive_directory_iterator(cli.home())) {
      if (!entry.is_regular_file()) continue;
      std::ifstream file(entry.path(), std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(file)), {});
      CHECK(bytes.find(standin.options().token_secret) == std::string::npos);
    }
    return parsed.at("modal");
  };
  auto none = doctor({"MODAL_TOKEN_ID=", "MODAL_TOKEN_SECRET="});
  CHECK(none["verdict"] == "no_credentials");
  CHECK(none["fix"].get<std::string>().find("modal token new") != std::string::npos);

  auto bad =
      doctor({"MODAL_TOKEN_ID=" + standin.options().token_id, "MODAL_TOKEN_SECRET=as-wrong"});
  CHECK(bad["verdict"] == "token_refused");
  CHECK(bad["api_answers"] == true);
  CHECK(bad["token_accepted"] == false);
  CHECK(bad["fix"].get<std::string>().find("modal token new") != std::string::npos);

  auto good = doctor({"MODAL_TOKEN_ID=" + standin.options().token_id,
                      "MODAL_TOKEN_SECRET=" + standin.options().token_secret});
  CHECK(good["verdict"] == "ok");
  CHECK(good["token_accepted"] == true);
  CHECK(good["credential_source"] == "environment");
  CHECK(good["token_id"] == standin.options().token_id);
}

TEST_CASE(
    "modal client: calls from many threads at once all succeed, a stream is cancelled from another "
    "thread",
    "[modal-client]") {
  testing::ModalStandin standin;
  auto client = client_for(standin);
  const std::string app = app_of(*client);
  auto id = client->sandbox_create(shell(app, image_of(*client, app), "echo started; sleep 60"));
  REQUIRE(id);
  // A follower waits on a log that does not end while other threads make calls.
  std::atomic<int> entries{0};
  auto follower = client->follow_sandbox_logs(id.value(), {.on_entry = [&](const LogEntry&) {
                                                ++entries;
                                                return true;
                                              }});
  std::atomic<int> failures{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 8; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        if (!client->app_get_or_create("many-" + std::to_string(t))) ++failures;
      }
    });
  }
  for (auto& caller : callers) caller.join();
  CHECK(failures == 0);
  for (int i = 0; i < 100 && entries == 0; ++i) std::this_thread::sleep_for(50ms);
  const auto started = std::chrono::steady_clock::now();
  follower->cancel();
  REQUIRE(follower->wait());
  CHECK(std::chrono::steady_clock::now() - started < 2s);
  CHECK(entries >= 1);
  REQUIRE(client->sandbox_terminate(id.value()));
}

TEST_CASE(
    "modal client: port 22's tunnel reaches the sandbox's own sshd, a secret from values reaches "
    "the sandbox, the router snapshots",
    "[modal-client]") {
  testing::ModalStandin standin;
  auto client = client_for(standin);
  const std::string app = app_of(*client);
  auto secret = client->secret_from_values({{"PARHELIA_PROBE", "from-values"}});
  REQUIRE(secret);
  SandboxSpec spec =
      shell(app, image_of(*client, app),
            "mkdir -p work; echo snap > work/f; echo \"$PARHELIA_PROBE\"; "
            // Where the stand-in's port 22 is (it has no network namespaces).
            "ssh-keygen -q -t ed25519 -N '' -f hk && mkdir -p /run/sshd 2>/dev/null; "
            "/usr/sbin/sshd -f /dev/null -o ListenAddress=$PARHELIA_SSHD_LISTEN "
            "-o HostKey=$PWD/hk -o PidFile=$PWD/sshd.pid -E $PWD/sshd.log; "
            "sleep 60");
  spec.secret_ids = {secret.value()};
  spec.unencrypted_ports = {22};
  auto id = client->sandbox_create(spec);
  REQUIRE(id);

  auto tunnels = client->sandbox_tunnels(id.value(), 10s);
  REQUIRE(tunnels);
  REQUIRE(tunnels->size() == 1);
  const Tunnel& ssh = tunnels->front();
  CHECK(ssh.container_port == 22);
  REQUIRE(ssh.unencrypted_host);
  REQUIRE(ssh.unencrypted_port);
  CHECK(*ssh.unencrypted_host == "127.0.0.1");
  // sshd answers with its banner once it listens.
  std::string banner;
  for (int attempt = 0; attempt < 50 && banner.rfind("SSH-", 0) != 0; ++attempt) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(*ssh.unencrypted_port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
      char buffer[64] = {};
      const auto n = ::read(fd, buffer, sizeof buffer - 1);
      if (n > 0) banner.assign(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    if (banner.rfind("SSH-", 0) != 0) std::this_thread::sleep_for(100ms);
  }
  CHECK(banner.rfind("SSH-2.0", 0) == 0);

  std::string out;
  auto follower = client->follow_sandbox_logs(id.value(), {.on_entry = [&](const LogEntry& entry) {
                                                out += entry.data;
                                                return out.find('\n') == std::string::npos;
                                              }});
  REQUIRE(follower->wait());
  CHECK(out == "from-values\n");

  auto task = client->sandbox_task_id(id.value(), 10s);
  REQUIRE(task);
  REQUIRE(task.value());
  auto router = client->command_router(*task.value());
  REQUIRE(router);
  auto image = router.value()->snapshot_filesystem(std::nullopt, 30s);
  REQUIRE(image);
  REQUIRE(client->sandbox_terminate(id.value()));
  auto from_image = client->sandbox_create(shell(app, image.value(), "cat work/f"));
  REQUIRE(from_image);
  wait_end(*client, from_image.value());
  std::string copied;
  REQUIRE(client
              ->follow_sandbox_logs(from_image.value(), {.on_entry =
                                                             [&](const LogEntry& e) {
                                                               copied += e.data;
                                                               return true;
                                                             }})
              ->wait());
  CHECK(copied == "snap\n");
}

TEST_CASE("modal client: a TLS server that answers HTTP/1.1 is named as not Modal's API",
          "[modal-client]") {
  testing::ModalStandin standin;  // for its certificate, which the test CA signed
  const auto dir = standin.ca_file().parent_path();
  core::ProcessSpec spec;
  spec.argv = {
      "/usr/bin/python3", "-c",
      "import http.server, ssl, sys\n"
      "class H(http.server.BaseHTTPRequestHandler):\n"
      "  def do_POST(self):\n"
      "    self.send_response(404); self.send_header('content-type', 'text/html');"
      " self.send_header('content-length', '2'); self.end_headers(); self.wfile.write(b'no')\n"
      "  def log_message(self, *a): pass\n"
      "s = http.server.HTTPServer(('127.0.0.1', 0), H)\n"
      "c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain(sys.argv[1], sys.argv[2])\n"
      "s.socket = c.wrap_socket(s.socket, server_side=True)\n"
      "print(s.server_address[1], flush=True); s.serve_forever()\n",
      (dir / "server.pem").string(), (dir / "server.key").string()};
  spec.pipe_stdout = true;
  auto server = core::ChildProcess::start(spec);
  REQUIRE(server);
  char buffer[32] = {};
  REQUIRE(::read(server->stdout_fd(), buffer, sizeof buffer - 1) > 0);
  ModalCredentials credentials = credentials_for(standin);
  credentials.server_url = "https://127.0.0.1:" + std::string(buffer, std::strcspn(buffer, "\n"));
  auto client = ModalClient::open(credentials, {.ca_file = standin.ca_file()});
  REQUIRE(client);
  auto answer = client.value()->authenticate();
  REQUIRE_FALSE(answer);
  CHECK(answer.error().sentence().find("is not Modal's API") != std::string::npos);
  CHECK(answer.error().sentence().find("HTTP/1") != std::string::npos);
  CHECK(answer.error().sentence().find("MODAL_SERVER_URL") != std::string::npos);
}
