#include "modal/api/modal_client.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdlib>
#include <random>
#include <thread>

#include "api.pb.h"
#include "core/version.h"
#include "modal/api/jwt_expiry.h"
#include "modal/api/modal_errors.h"
#include "modal/api/parse_answer.h"

namespace parhelia::modal {
namespace pb = ::modal::client;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view service_path = "/modal.client.ModalClient/";

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string random_key() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  return fmt::format("{:016x}{:016x}", random(), random());
}

Outcome outcome_of(const pb::GenericResult& result) {
  Outcome outcome;
  switch (result.status()) {
    case pb::GenericResult::GENERIC_STATUS_SUCCESS:
      outcome.status = EndStatus::success;
      break;
    case pb::GenericResult::GENERIC_STATUS_FAILURE:
      outcome.status = EndStatus::failure;
      break;
    case pb::GenericResult::GENERIC_STATUS_TERMINATED:
      outcome.status = EndStatus::terminated;
      break;
    case pb::GenericResult::GENERIC_STATUS_TIMEOUT:
      outcome.status = EndStatus::timeout;
      break;
    case pb::GenericResult::GENERIC_STATUS_INIT_FAILURE:
      outcome.status = EndStatus::init_failure;
      break;
    case pb::GenericResult::GENERIC_STATUS_INTERNAL_FAILURE:
      outcome.status = EndStatus::internal_failure;
      break;
    case pb::GenericResult::GENERIC_STATUS_IDLE_TIMEOUT:
      outcome.status = EndStatus::idle_timeout;
      break;
    case pb::GenericResult::GENERIC_STATUS_MEMORY_MANAGER_EVICTION:
      outcome.status = EndStatus::evicted;
      break;
    default:
      outcome.status = EndStatus::unknown;
      break;
  }
  outcome.exit_code = result.exitcode();
  outcome.exception = result.exception();
  return outcome;
}

// A result message that is present but UNSPECIFIED means "not yet".
std::optional<Outcome> ended(bool present, const pb::GenericResult& result) {
  if (!present || result.status() == pb::GenericResult::GENERIC_STATUS_UNSPECIFIED) {
    return std::nullopt;
  }
  return outcome_of(result);
}

// A unary call of the API with its answer parsed.
template <class Response, class Request>
core::Result<Response> ask_api(ModalClient& client, std::string_view method, const Request& request,
                               Repeat repeat, Clock::time_point deadline) {
  return parse_answer<Response>(method,
                                client.call(method, request.SerializeAsString(), repeat, deadline));
}

void add_tags(const Tags& tags, google::protobuf::RepeatedPtrField<pb::SandboxTag>* out) {
  for (const auto& [name, value] : tags) {
    auto* tag = out->Add();
    tag->set_tag_name(name);
    tag->set_tag_value(value);
  }
}

}  // namespace

const char* end_status_name(EndStatus status) {
  switch (status) {
    case EndStatus::success:
      return "success";
    case EndStatus::failure:
      return "failure";
    case EndStatus::terminated:
      return "terminated";
    case EndStatus::timeout:
      return "timeout";
    case EndStatus::init_failure:
      return "init_failure";
    case EndStatus::internal_failure:
      return "internal_failure";
    case EndStatus::idle_timeout:
      return "idle_timeout";
    case EndStatus::evicted:
      return "evicted";
    case EndStatus::unknown:
      break;
  }
  return "unknown";
}

core::Result<std::unique_ptr<ModalClient>> ModalClient::open(ModalCredentials credentials,
                                                             ModalClientOptions options) {
  if (!credentials.complete()) {
    return core::Error{core::ErrorCode::invalid_input, "No Modal token found.",
                       "Run `modal token new` (it writes ~/.modal.toml), or set MODAL_TOKEN_ID "
                       "and MODAL_TOKEN_SECRET."};
  }
  if (!options.ca_file) {
    if (const char* ca = std::getenv("PARHELIA_MODAL_CA_FILE"); ca && *ca) options.ca_file = ca;
  }
  auto channel = GrpcChannel::open({.base_url = credentials.server_url,
                                    .ca_file = options.ca_file,
                                    .user_agent = std::string("parhelia/") + core::kVersion});
  if (!channel) return channel.error();
  return std::unique_ptr<ModalClient>(
      new ModalClient(std::move(credentials), std::move(options), std::move(channel.value())));
}

ModalClient::ModalClient(ModalCredentials credentials, ModalClientOptions options,
                         std::shared_ptr<GrpcChannel> channel)
    : credentials_(std::move(credentials)),
      options_(std::move(options)),
      channel_(std::move(channel)) {}

ModalClient::~ModalClient() = default;

core::Error ModalClient::error_of(std::string_view method, const GrpcStatus& status) const {
  return modal_error(
      status,
      {.method = method, .server_url = credentials_.server_url, .credentials = &credentials_});
}

GrpcMetadata ModalClient::base_metadata() const {
  // Modal's Go client's headers: there is no client type for other languages, and Parhelia
  // speaks the protocol as the Go SDK does ("behaves like Python SDK 1.0.0"); the libmodal
  // version header says who is really calling.
  return {{"x-modal-client-type", "9"},
          {"x-modal-client-version", "1.0.0"},
          {"x-modal-libmodal-version", std::string("parhelia/") + core::kVersion},
          {"x-modal-token-id", credentials_.token_id},
          {"x-modal-token-secret", credentials_.token_secret}};
}

core::Result<std::string> ModalClient::auth_token(bool refresh) {
  std::lock_guard lock(auth_mutex_);
  if (!refresh && !auth_token_.empty() && now_seconds() < auth_refresh_at_) return auth_token_;
  pb::AuthTokenGetRequest request;
  const std::string method = "AuthTokenGet";
  GrpcStatus status;
  std::string answer;
  const auto deadline =
      Clock::now() + std::min<std::chrono::milliseconds>(options_.call_timeout, 10s);
  for (int attempt = 1;; ++attempt) {
    GrpcCallOptions call_options{.deadline = deadline, .metadata = base_metadata()};
    status = channel_->unary(std::string(service_path) + method, request.SerializeAsString(),
                             call_options, answer);
    if (status.ok()) break;
    auto wait = options_.retries.delay_after(status, attempt, Repeat::safe);
    if (!wait || Clock::now() + *wait >= deadline) return error_of(method, status);
    spdlog::debug("Modal {}: attempt {} failed ({}), again in {} ms", method, attempt,
                  grpc_code_name(status.code), wait->count());
    std::this_thread::sleep_for(*wait);
  }
  auto response = parse_answer<pb::AuthTokenGetResponse>(method, answer);
  if (!response) return response.error();
  if (response->token().empty()) return missing_answer_field(method, "token");
  // Refreshed halfway through its life (as Modal's clients), or in 20 minutes when it does
  // not say when it expires.
  const std::int64_t now = now_seconds();
  const std::int64_t expiry = jwt_expiry(response->token()).value_or(now + 20 * 60);
  auth_token_ = response->token();
  auth_refresh_at_ = now + std::max<std::int64_t>(0, (expiry - now) / 2);
  return auth_token_;
}

core::Result<core::Done> ModalClient::authenticate() {
  auto token = auth_token(true);
  if (!token) return token.error();
  return core::Done{};
}

core::Result<std::string> ModalClient::call(std::string_view method, const std::string& request,
                                            Repeat repeat, Clock::time_point deadline) {
  const std::string path = std::string(service_path) + std::string(method);
  const std::string idempotency_key = random_key();
  const auto first_try = Clock::now();
  bool refreshed = false;
  for (int attempt = 1;; ++attempt) {
    auto token = auth_token(false);
    if (!token) return token.error();
    GrpcCallOptions call_options{.deadline = deadline, .metadata = base_metadata()};
    call_options.metadata.emplace_back("x-modal-auth-token", token.value());
    call_options.metadata.emplace_back("x-idempotency-key", idempotency_key);
    call_options.metadata.emplace_back("x-retry-attempt", std::to_string(attempt - 1));
    if (attempt > 1) {
      call_options.metadata.emplace_back(
          "x-retry-delay",
          fmt::format("{:.3f}", std::chrono::duration<double>(Clock::now() - first_try).count()));
    }
    std::string answer;
    const GrpcStatus status = channel_->unary(path, request, call_options, answer);
    if (status.ok()) return answer;
    // An auth token Modal no longer takes (expired early, revoked): one new token, one retry.
    if (status.code == GrpcCode::unauthenticated && status.transport == TransportFailure::none &&
        !refreshed) {
      refreshed = true;
      spdlog::debug("Modal {}: the auth token was refused; fetching a new one", method);
      auto fresh = auth_token(true);
      if (!fresh) return fresh.error();
      continue;
    }
    auto wait = options_.retries.delay_after(status, attempt, repeat);
    if (!wait || Clock::now() + *wait >= deadline) return error_of(method, status);
    spdlog::debug("Modal {}: attempt {} failed ({}: {}), again in {} ms", method, attempt,
                  grpc_code_name(status.code), status.message, wait->count());
    std::this_thread::sleep_for(*wait);
  }
}

std::shared_ptr<GrpcCall> ModalClient::stream(std::string_view method, const std::string& request,
                                              Clock::time_point deadline,
                                              std::function<bool(std::string&&)> on_message,
                                              core::Result<core::Done>& started) {
  auto token = auth_token(false);
  if (!token) {
    started = token.error();
    return nullptr;
  }
  started = core::Done{};
  GrpcCallOptions call_options{.deadline = deadline, .metadata = base_metadata()};
  call_options.metadata.emplace_back("x-modal-auth-token", token.value());
  return channel_->start_stream(std::string(service_path) + std::string(method), request,
                                call_options, std::move(on_message));
}

core::Result<std::string> ModalClient::app_get_or_create(const std::string& app_name) {
  pb::AppGetOrCreateRequest request;
  request.set_app_name(app_name);
  request.set_environment_name(credentials_.environment);
  request.set_object_creation_type(pb::OBJECT_CREATION_TYPE_CREATE_IF_MISSING);
  constexpr std::string_view method = "AppGetOrCreate";
  auto response = ask_api<pb::AppGetOrCreateResponse>(*this, method, request, Repeat::safe,
                                                      deadline_in(options_.call_timeout));
  if (!response) return response.error();
  if (response->app_id().empty()) return missing_answer_field(method, "app_id");
  return response->app_id();
}

core::Result<std::string> ModalClient::secret_get_or_create(
    const std::string& name, const std::map<std::string, std::string>& values,
    const std::vector<std::string>& required_keys) {
  pb::SecretGetOrCreateRequest request;
  request.set_deployment_name(name);
  request.set_environment_name(credentials_.environment);
  request.set_object_creation_type(values.empty() ? pb::OBJECT_CREATION_TYPE_UNSPECIFIED
                                                  : pb::OBJECT_CREATION_TYPE_CREATE_IF_MISSING);
  for (const auto& [key, value] : values) (*request.mutable_env_dict())[key] = value;
  for (const auto& key : required_keys) request.add_required_keys(key);
  constexpr std::string_view method = "SecretGetOrCreate";
  auto response = ask_api<pb::SecretGetOrCreateResponse>(*this, method, request, Repeat::safe,
                                                         deadline_in(options_.call_timeout));
  if (!response) return response.error();
  if (response->secret_id().empty()) return missing_answer_field(method, "secret_id");
  return response->secret_id();
}

core::Result<std::string> ModalClient::secret_from_values(
    const std::map<std::string, std::string>& values) {
  pb::SecretGetOrCreateRequest request;
  request.set_environment_name(credentials_.environment);
  request.set_object_creation_type(pb::OBJECT_CREATION_TYPE_EPHEMERAL);
  for (const auto& [key, value] : values) (*request.mutable_env_dict())[key] = value;
  constexpr std::string_view method = "SecretGetOrCreate";
  // Not repeated: each call makes a new ephemeral secret.
  auto response = ask_api<pb::SecretGetOrCreateResponse>(*this, method, request, Repeat::unsafe,
                                                         deadline_in(options_.call_timeout));
  if (!response) return response.error();
  if (response->secret_id().empty()) return missing_answer_field(method, "secret_id");
  return response->secret_id();
}

core::Result<ModalClient::ImageBuild> ModalClient::image_get_or_create(
    const std::string& app_id, const std::vector<std::string>& dockerfile_commands,
    bool force_build) {
  pb::ImageGetOrCreateRequest request;
  request.set_app_id(app_id);
  request.set_force_build(force_build);
  request.set_builder_version(credentials_.image_builder_version);
  for (const auto& command : dockerfile_commands)
    request.mutable_image()->add_dockerfile_commands(command);
  constexpr std::string_view method = "ImageGetOrCreate";
  auto response = ask_api<pb::ImageGetOrCreateResponse>(*this, method, request, Repeat::safe,
                                                        deadline_in(options_.call_timeout));
  if (!response) return response.error();
  if (response->image_id().empty()) return missing_answer_field(method, "image_id");
  return ImageBuild{response->image_id(), ended(response->has_result(), response->result())};
}

core::Result<Outcome> ModalClient::image_join(const std::string& image_id,
                                              const std::function<void(const std::string&)>& on_log,
                                              std::chrono::seconds timeout) {
  constexpr std::string_view method = "ImageJoinStreaming";
  const auto give_up = Clock::now() + timeout;
  std::string last_entry_id;
  int cuts = 0;
  while (Clock::now() < give_up) {
    pb::ImageJoinStreamingRequest request;
    request.set_image_id(image_id);
    request.set_timeout(55);
    request.set_last_entry_id(last_entry_id);
    std::optional<Outcome> outcome;
    core::Result<core::Done> started = core::Done{};
    auto stream_call = stream(
        method, request.SerializeAsString(), std::min(give_up, Clock::now() + 85s),
        [&](std::string&& bytes) {
          pb::ImageJoinStreamingResponse message;
          if (!message.ParseFromString(bytes)) return false;
          for (const auto& log : message.task_logs()) on_log(log.data());
          if (!message.entry_id().empty()) last_entry_id = message.entry_id();
          if (message.has_result() &&
              message.result().status() != pb::GenericResult::GENERIC_STATUS_UNSPECIFIED) {
            outcome = outcome_of(message.result());
          }
          return true;
        },
        started);
    if (!started) return started.error();
    const GrpcStatus status = stream_call->wait();
    if (outcome) return *outcome;
    if (status.ok() || status.code == GrpcCode::deadline_exceeded)
      continue;  // the server's hold ended
    if (!is_transient(status) || ++cuts > options_.retries.max_attempts)
      return error_of(method, status);
    std::this_thread::sleep_for(options_.retries.base_delay);
  }
  return core::Error{
      core::ErrorCode::unavailable,
      fmt::format("The image {} was still building after {} s.", image_id, timeout.count()),
      "Look at the build on modal.com; a long build can be waited for again."};
}

core::Result<std::string> ModalClient::sandbox_from_name(const std::string& app_name,
                                                         const std::string& name) {
  pb::SandboxGetFromNameRequest request;
  request.set_sandbox_name(name);
  request.set_app_name(app_name);
  request.set_environment_name(credentials_.environment);
  constexpr std::string_view method = "SandboxGetFromName";
  auto response = ask_api<pb::SandboxGetFromNameResponse>(*this, method, request, Repeat::safe,
                                                          deadline_in(options_.call_timeout));
  if (!response) return response.error();
  if (response->sandbox_id().empty()) return missing_answer_field(method, "sandbox_id");
  return response->sandbox_id();
}

core::Result<std::string> ModalClient::sandbox_create(const SandboxSpec& spec) {
  pb::SandboxCreateRequest request;
  request.set_app_id(spec.app_id);
  add_tags(spec.tags, request.mutable_tags());
  pb::Sandbox& sandbox = *request.mutable_definition();
  for (const auto& arg : spec.entrypoint) sandbox.add_entrypoint_args(arg);
  sandbox.set_image_id(spec.image_id);
  for (const auto& id : spec.secret_ids) sandbox.add_secret_ids(id);
  sandbox.set_timeout_secs(spec.timeout_secs);
  if (spec.idle_timeout_secs) sandbox.set_idle_timeout_secs(*spec.idle_timeout_secs);
  if (spec.workdir) sandbox.set_workdir(*spec.workdir);
  if (!spec.name.empty()) sandbox.set_name(spec.name);
  if (!spec.cloud.empty()) sandbox.set_cloud_provider_str(spec.cloud);
  auto& resources = *sandbox.mutable_resources();
  if (spec.milli_cpu) resources.set_milli_cpu(spec.milli_cpu);
  if (spec.memory_mib) resources.set_memory_mb(spec.memory_mib);
  if (spec.gpu) {
    resources.mutable_gpu_config()->set_gpu_type(spec.gpu->type);
    resources.mutable_gpu_config()->set_count(spec.gpu->count);
  }
  for (unsigned port : spec.unencrypted_ports) {
    auto* open = sandbox.mutable_open_ports()->add_ports();
    open->set_port(port);
    open->set_unencrypted(true);
  }
  if (spec.readiness_tcp_port)
    sandbox.mutable_readiness_probe()->set_tcp_port(*spec.readiness_tcp_port);
  for (const auto& [key, value] : spec.environment) {
    (*sandbox.mutable_environment_variables()->mutable_contents())[key] = value;
  }
  sandbox.set_enable_snapshot(true);

  constexpr std::string_view method = "SandboxCreate";
  const std::string bytes = request.SerializeAsString();
  const auto deadline = deadline_in(options_.call_timeout);
  // One attempt at a time: a create is not safe to repeat by itself. With a name it is: the
  // second attempt either makes the sandbox (the first made none) or finds the name taken by
  // the one the first attempt made, and that one is the answer.
  const Repeat repeat = spec.name.empty() ? Repeat::unsafe : Repeat::safe;
  for (int attempt = 1;; ++attempt) {
    auto answer = call(method, bytes, Repeat::unsafe, deadline);
    if (answer) {
      auto response = parse_answer<pb::SandboxCreateResponse>(method, answer);
      if (!response) return response.error();
      if (response->sandbox_id().empty()) return missing_answer_field(method, "sandbox_id");
      return response->sandbox_id();
    }
    if (attempt > 1 && answer.error().code == core::ErrorCode::conflict) {
      spdlog::debug(
          "Modal SandboxCreate: attempt {} found the name {} taken; it is the sandbox "
          "an earlier attempt made",
          attempt, spec.name);
      return sandbox_from_name(spec.app_name, spec.name);
    }
    if (answer.error().code != core::ErrorCode::unavailable || repeat == Repeat::unsafe ||
        attempt >= options_.retries.max_attempts || Clock::now() >= deadline) {
      if (repeat == Repeat::unsafe && answer.error().code == core::ErrorCode::unavailable) {
        auto error = answer.error();
        error.hint =
            "An unnamed sandbox may have been made all the same: look with `modal "
            "sandbox list`. " +
            error.hint;
        return error;
      }
      return answer.error();
    }
    const auto wait = options_.retries.base_delay * (1 << std::min(attempt - 1, 4));
    spdlog::debug("Modal SandboxCreate: attempt {} failed ({}), again in {} ms by its name {}",
                  attempt, answer.error().message, wait.count(), spec.name);
    std::this_thread::sleep_for(wait);
  }
}

core::Result<std::optional<Outcome>> ModalClient::sandbox_wait(const std::string& sandbox_id,
                                                               std::chrono::seconds timeout) {
  pb::SandboxWaitRequest request;
  request.set_sandbox_id(sandbox_id);
  request.set_timeout(static_cast<float>(timeout.count()));
  constexpr std::string_view method = "SandboxWait";
  auto response = ask_api<pb::SandboxWaitResponse>(
      *this, method, request, Repeat::safe,
      deadline_in(std::chrono::duration_cast<std::chrono::milliseconds>(timeout) + 15s));
  if (!response) return response.error();
  return ended(response->has_result(), response->result());
}

core::Result<std::vector<Tunnel>> ModalClient::sandbox_tunnels(const std::string& sandbox_id,
                                                               std::chrono::seconds timeout) {
  pb::SandboxGetTunnelsRequest request;
  request.set_sandbox_id(sandbox_id);
  request.set_timeout(static_cast<float>(timeout.count()));
  constexpr std::string_view method = "SandboxGetTunnels";
  auto response = ask_api<pb::SandboxGetTunnelsResponse>(
      *this, method, request, Repeat::safe,
      deadline_in(std::chrono::duration_cast<std::chrono::milliseconds>(timeout) + 15s));
  if (!response) return response.error();
  if (auto outcome = ended(response->has_result(), response->result());
      outcome && outcome->status != EndStatus::success) {
    return core::Error{core::ErrorCode::unavailable,
                       fmt::format("The sandbox {} has no tunnels: it ended ({}).", sandbox_id,
                                   end_status_name(outcome->status)),
                       "Start a new session."};
  }
  std::vector<Tunnel> tunnels;
  for (const auto& data : response->tunnels()) {
    Tunnel tunnel{
        .container_port = data.container_port(), .host = data.host(), .port = data.port()};
    if (data.has_unencrypted_host()) tunnel.unencrypted_host = data.unencrypted_host();
    if (data.has_unencrypted_port()) tunnel.unencrypted_port = data.unencrypted_port();
    tunnels.push_back(std::move(tunnel));
  }
  return tunnels;
}

core::Result<std::optional<std::string>> ModalClient::sandbox_task_id(const std::string& sandbox_id,
                                                                      std::chrono::seconds timeout,
                                                                      bool wait_until_ready) {
  pb::SandboxGetTaskIdRequest request;
  request.set_sandbox_id(sandbox_id);
  request.set_timeout(static_cast<float>(timeout.count()));
  request.set_wait_until_ready(wait_until_ready);
  constexpr std::string_view method = "SandboxGetTaskId";
  auto response = ask_api<pb::SandboxGetTaskIdResponse>(
      *this, method, request, Repeat::safe,
      deadline_in(std::chrono::duration_cast<std::chrono::milliseconds>(timeout) + 15s));
  if (!response) return response.error();
  if (!response->has_task_id() || response->task_id().empty()) return std::optional<std::string>{};
  return std::optional<std::string>(response->task_id());
}

core::Result<std::optional<Outcome>> ModalClient::sandbox_terminate(const std::string& sandbox_id) {
  pb::SandboxTerminateRequest request;
  request.set_sandbox_id(sandbox_id);
  constexpr std::string_view method = "SandboxTerminate";
  auto response = ask_api<pb::SandboxTerminateResponse>(*this, method, request, Repeat::safe,
                                                        deadline_in(options_.call_timeout));
  if (!response) return response.error();
  return ended(response->has_existing_result(), response->existing_result());
}

core::Result<core::Done> ModalClient::sandbox_set_tags(const std::string& sandbox_id,
                                                       const Tags& tags) {
  pb::SandboxTagsSetRequest request;
  request.set_sandbox_id(sandbox_id);
  request.set_environment_name(credentials_.environment);
  add_tags(tags, request.mutable_tags());
  constexpr std::string_view method = "SandboxTagsSet";
  auto response =
      ask_api<pb::Empty>(*this, method, request, Repeat::safe, deadline_in(options_.call_timeout));
  if (!response) return response.error();
  return core::Done{};
}

core::Result<ResourceUsage> ModalClient::sandbox_resource_usage(const std::string& sandbox_id) {
  pb::SandboxGetResourceUsageRequest request;
  request.set_sandbox_id(sandbox_id);
  constexpr std::string_view method = "SandboxGetResourceUsage";
  auto response = ask_api<pb::SandboxGetResourceUsageResponse>(*this, method, request, Repeat::safe,
                                                               deadline_in(options_.call_timeout));
  if (!response) return response.error();
  return ResourceUsage{response->cpu_core_nanosecs(), response->mem_gib_nanosecs(),
                       response->gpu_nanosecs(), response->gpu_type()};
}

core::Result<std::string> ModalClient::sandbox_snapshot_filesystem(const std::string& sandbox_id,
                                                                   std::chrono::seconds timeout) {
  pb::SandboxSnapshotFsRequest request;
  request.set_sandbox_id(sandbox_id);
  request.set_timeout(static_cast<float>(timeout.count()));
  constexpr std::string_view method = "SandboxSnapshotFs";
  auto response = ask_api<pb::SandboxSnapshotFsResponse>(
      *this, method, request, Repeat::safe,
      deadline_in(std::chrono::duration_cast<std::chrono::milliseconds>(timeout) + 15s));
  if (!response) return response.error();
  if (auto outcome = ended(response->has_result(), response->result());
      outcome && outcome->status != EndStatus::success) {
    return core::Error{core::ErrorCode::unavailable,
                       fmt::format("Modal could not snapshot the sandbox {}: {}.", sandbox_id,
                                   outcome->exception.empty() ? end_status_name(outcome->status)
                                                              : outcome->exception),
                       "Try again; a sandbox with a GPU may not allow filesystem snapshots."};
  }
  if (response->image_id().empty()) return missing_answer_field(method, "image_id");
  return response->image_id();
}

core::Result<std::vector<SandboxListing>> ModalClient::sandbox_list(const std::string& app_id,
                                                                    const Tags& tags,
                                                                    bool include_finished) {
  constexpr std::string_view method = "SandboxList";
  std::vector<SandboxListing> all;
  double before = 0;
  for (int page = 0; page < 10000; ++page) {
    pb::SandboxListRequest request;
    request.set_app_id(app_id);
    request.set_environment_name(credentials_.environment);
    request.set_include_finished(include_finished);
    request.set_before_timestamp(before);
    add_tags(tags, request.mutable_tags());
    auto response = ask_api<pb::SandboxListResponse>(*this, method, request, Repeat::safe,
                                                     deadline_in(options_.call_timeout));
    if (!response) return response.error();
    if (response->sandboxes().empty()) break;
    double oldest = before;
    for (const auto& info : response->sandboxes()) {
      SandboxListing listing{
          .id = info.id(),
          .name = info.name(),
          .app_id = info.app_id(),
          .created_at = info.created_at(),
          .started_at = info.task_info().started_at(),
          .finished_at = info.task_info().finished_at(),
          .outcome = ended(info.task_info().has_result(), info.task_info().result()),
          .timeout_secs = info.timeout_secs(),
          .gpu_type = info.task_info().gpu_type()};
      for (const auto& tag : info.tags()) listing.tags[tag.tag_name()] = tag.tag_value();
      if (oldest == 0 || info.created_at() < oldest) oldest = info.created_at();
      all.push_back(std::move(listing));
    }
    // A page that does not go further back would repeat forever.
    if (oldest == before || oldest <= 0) break;
    before = oldest;
  }
  return all;
}

namespace {

// Follows one sandbox's log on a thread of its own, reopening the stream after a cut.
class SandboxLogFollower final : public ModalClient::LogFollower {
 public:
  SandboxLogFollower(ModalClient& client, std::string sandbox_id, ModalClient::LogFollow follow)
      : client_(client), sandbox_id_(std::move(sandbox_id)), follow_(std::move(follow)) {
    last_entry_id_ = follow_.last_entry_id;
    thread_ = std::thread([this] { result_ = run(); });
  }
  ~SandboxLogFollower() override {
    cancel();
    if (thread_.joinable()) thread_.join();
  }
  core::Result<std::string> wait() override {
    if (thread_.joinable()) thread_.join();
    return result_;
  }
  void cancel() override {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    if (current_) current_->cancel();
  }

 private:
  core::Result<std::string> run() {
    constexpr std::string_view method = "SandboxGetLogs";
    int cuts_in_a_row = 0;
    for (;;) {
      pb::SandboxGetLogsRequest request;
      request.set_sandbox_id(sandbox_id_);
      request.set_file_descriptor(
          follow_.which == LogStream::stdout_only   ? pb::FILE_DESCRIPTOR_STDOUT
          : follow_.which == LogStream::stderr_only ? pb::FILE_DESCRIPTOR_STDERR
                                                    : pb::FILE_DESCRIPTOR_UNSPECIFIED);
      request.set_timeout(55);
      request.set_last_entry_id(last_entry_id_.empty() ? "0-0" : last_entry_id_);
      bool eof = false;
      bool stopped = false;
      bool received = false;
      core::Result<core::Done> started = core::Done{};
      std::shared_ptr<GrpcCall> call;
      {
        std::lock_guard lock(mutex_);
        if (cancelled_) return last_entry_id_;
        call = client_.stream(
            method, request.SerializeAsString(), Clock::now() + 90s,
            [&](std::string&& bytes) {
              pb::TaskLogsBatch batch;
              if (!batch.ParseFromString(bytes)) return false;
              received = true;
              for (const auto& item : batch.items()) {
                LogEntry entry{.data = item.data(),
                               .entry_id = batch.entry_id(),
                               .from_stderr = item.file_descriptor() == pb::FILE_DESCRIPTOR_STDERR};
                if (!follow_.on_entry(entry)) {
                  stopped = true;
                  return false;
                }
              }
              // The entry id is taken once every item of the batch was handed over: a cut in
              // the middle of a batch repeats none of it and loses none.
              if (!batch.entry_id().empty()) last_entry_id_ = batch.entry_id();
              if (batch.eof()) eof = true;
              return true;
            },
            started);
        if (!started) return started.error();
        current_ = call;
      }
      const GrpcStatus status = call->wait();
      {
        std::lock_guard lock(mutex_);
        current_.reset();
        if (cancelled_ || stopped) return last_entry_id_;
      }
      if (eof) return last_entry_id_;
      if (status.ok() || status.code == GrpcCode::deadline_exceeded) {
        cuts_in_a_row = 0;  // the server's hold ended: ask again from where it stopped
        continue;
      }
      if (received) cuts_in_a_row = 0;
      if (!is_transient(status) || ++cuts_in_a_row > client_.options().retries.max_attempts) {
        return client_.error_of(method, status);
      }
      spdlog::debug("Modal SandboxGetLogs: the stream was cut ({}: {}); resuming after entry {}",
                    grpc_code_name(status.code), status.message, last_entry_id_);
      std::this_thread::sleep_for(client_.options().retries.base_delay * cuts_in_a_row);
    }
  }

  ModalClient& client_;
  std::string sandbox_id_;
  ModalClient::LogFollow follow_;
  std::string last_entry_id_;
  std::mutex mutex_;
  bool cancelled_ = false;
  std::shared_ptr<GrpcCall> current_;
  core::Result<std::string> result_ = std::string();
  std::thread thread_;
};

}  // namespace

std::unique_ptr<ModalClient::LogFollower> ModalClient::follow_sandbox_logs(
    const std::string& sandbox_id, LogFollow follow) {
  return std::make_unique<SandboxLogFollower>(*this, sandbox_id, std::move(follow));
}

}  // namespace parhelia::modal
