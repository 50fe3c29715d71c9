// A sandbox's command router: the exec calls, on a second TLS connection to the URL Modal
// gives for the task, with `authorization: Bearer JWT` rather than the API's token headers.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <thread>

#include "api.pb.h"
#include "modal/api/jwt_expiry.h"
#include "modal/api/modal_client.h"
#include "modal/api/modal_errors.h"
#include "modal/api/parse_answer.h"
#include "task_command_router.pb.h"

namespace parhelia::modal {
namespace router = ::modal::task_command_router;
using namespace std::chrono_literals;

namespace {
constexpr std::string_view router_path = "/modal.task_command_router.TaskCommandRouter/";

}  // namespace

core::Result<std::unique_ptr<CommandRouter>> ModalClient::command_router(
    const std::string& task_id) {
  ::modal::client::TaskGetCommandRouterAccessRequest request;
  request.set_task_id(task_id);
  constexpr std::string_view method = "TaskGetCommandRouterAccess";
  auto answer =
      call(method, request.SerializeAsString(), Repeat::safe, deadline_in(options_.call_timeout));
  if (!answer) return answer.error();
  ::modal::client::TaskGetCommandRouterAccessResponse response;
  if (!response.ParseFromString(answer.value())) {
    return core::Error{core::ErrorCode::unavailable,
                       "Modal's answer to TaskGetCommandRouterAccess is not readable.",
                       "Modal's protocol may have changed: update Parhelia."};
  }
  if (response.jwt().empty()) return missing_answer_field(method, "jwt");
  if (response.url().empty()) return missing_answer_field(method, "url");
  auto channel = GrpcChannel::open({.base_url = response.url(), .ca_file = options_.ca_file});
  if (!channel) return channel.error();
  return std::make_unique<CommandRouter>(*this, task_id, response.jwt(),
                                         std::move(channel.value()));
}

CommandRouter::CommandRouter(ModalClient& client, std::string task_id, std::string jwt,
                             std::shared_ptr<GrpcChannel> channel)
    : client_(client),
      task_id_(std::move(task_id)),
      jwt_(std::move(jwt)),
      channel_(std::move(channel)) {}

core::Result<std::string> CommandRouter::call(std::string_view method, const std::string& request,
                                              Clock::time_point deadline) {
  // Every router call is safe to repeat: an exec is named by its id, stdin is written at an
  // offset, a read starts at an offset.
  const std::string path = std::string(router_path) + std::string(method);
  bool refreshed = false;
  for (int attempt = 1;; ++attempt) {
    GrpcCallOptions options{.deadline = deadline,
                            .metadata = {{"authorization", "Bearer " + jwt_}}};
    std::string answer;
    const GrpcStatus status = channel_->unary(path, request, options, answer);
    if (status.ok()) return answer;
    if (status.code == GrpcCode::unauthenticated && status.transport == TransportFailure::none &&
        !refreshed) {
      refreshed = true;
      ::modal::client::TaskGetCommandRouterAccessRequest access;
      access.set_task_id(task_id_);
      auto fresh = client_.call("TaskGetCommandRouterAccess", access.SerializeAsString(),
                                Repeat::safe, client_.deadline_in(client_.options().call_timeout));
      if (!fresh) return fresh.error();
      ::modal::client::TaskGetCommandRouterAccessResponse response;
      if (!response.ParseFromString(fresh.value()) || response.jwt().empty()) {
        return missing_answer_field("TaskGetCommandRouterAccess", "jwt");
      }
      jwt_ = response.jwt();
      continue;
    }
    auto wait = client_.options().retries.delay_after(status, attempt, Repeat::safe);
    if (!wait || Clock::now() + *wait >= deadline) return client_.error_of(method, status);
    spdlog::debug("Modal {}: attempt {} failed ({}), again in {} ms", method, attempt,
                  grpc_code_name(status.code), wait->count());
    std::this_thread::sleep_for(*wait);
  }
}

core::Result<core::Done> CommandRouter::exec_start(const ExecSpec& spec) {
  router::TaskExecStartRequest request;
  request.set_task_id(task_id_);
  request.set_exec_id(spec.exec_id);
  for (const auto& arg : spec.argv) request.add_command_args(arg);
  request.set_stdout_config(router::TASK_EXEC_STDOUT_CONFIG_PIPE);
  request.set_stderr_config(spec.stderr_to_stdout ? router::TASK_EXEC_STDERR_CONFIG_STDOUT
                                                  : router::TASK_EXEC_STDERR_CONFIG_PIPE);
  if (spec.timeout_secs) request.set_timeout_secs(*spec.timeout_secs);
  if (spec.workdir) request.set_workdir(*spec.workdir);
  for (const auto& id : spec.secret_ids) request.add_secret_ids(id);
  for (const auto& [key, value] : spec.environment) (*request.mutable_env())[key] = value;
  auto response = parse_answer<router::TaskExecStartResponse>(
      "TaskExecStart", call("TaskExecStart", request.SerializeAsString(),
                            client_.deadline_in(client_.options().call_timeout)));
  if (!response) return response.error();
  return core::Done{};
}

core::Result<std::uint64_t> CommandRouter::exec_read(
    const std::string& exec_id, bool from_stderr, std::uint64_t offset,
    const std::function<bool(std::string_view)>& on_data) {
  constexpr std::string_view method = "TaskExecStdioRead";
  int cuts = 0;
  for (;;) {
    router::TaskExecStdioReadRequest request;
    request.set_task_id(task_id_);
    request.set_exec_id(exec_id);
    request.set_offset(offset);
    request.set_file_descriptor(from_stderr ? router::TASK_EXEC_STDIO_FILE_DESCRIPTOR_STDERR
                                            : router::TASK_EXEC_STDIO_FILE_DESCRIPTOR_STDOUT);
    bool stopped = false;
    bool received = false;
    GrpcCallOptions options{.deadline = Clock::now() + 24h,
                            .metadata = {{"authorization", "Bearer " + jwt_}}};
    auto stream =
        channel_->start_stream(std::string(router_path) + std::string(method),
                               request.SerializeAsString(), options, [&](std::string&& bytes) {
                                 router::TaskExecStdioReadResponse piece;
                                 if (!piece.ParseFromString(bytes)) return false;
                                 received = true;
                                 offset += piece.data().size();
                                 if (!on_data(piece.data())) {
                                   stopped = true;
                                   return false;
                                 }
                                 return true;
                               });
    const GrpcStatus status = stream->wait();
    if (status.ok() || stopped) return offset;
    if (received) cuts = 0;
    if (!is_transient(status) || ++cuts > client_.options().retries.max_attempts) {
      return client_.error_of(method, status);
    }
    spdlog::debug("Modal {}: the read was cut ({}); resuming at byte {}", method,
                  grpc_code_name(status.code), offset);
    std::this_thread::sleep_for(client_.options().retries.base_delay * cuts);
  }
}

core::Result<core::Done> CommandRouter::exec_write_stdin(const std::string& exec_id,
                                                         std::uint64_t offset,
                                                         std::string_view data, bool eof) {
  router::TaskExecStdinWriteRequest request;
  request.set_task_id(task_id_);
  request.set_exec_id(exec_id);
  request.set_offset(offset);
  request.set_data(std::string(data));
  request.set_eof(eof);
  auto response = parse_answer<router::TaskExecStdinWriteResponse>(
      "TaskExecStdinWrite", call("TaskExecStdinWrite", request.SerializeAsString(),
                                 client_.deadline_in(client_.options().call_timeout)));
  if (!response) return response.error();
  return core::Done{};
}

core::Result<ExecExit> CommandRouter::exec_wait(const std::string& exec_id,
                                                std::chrono::seconds timeout) {
  router::TaskExecWaitRequest request;
  request.set_task_id(task_id_);
  request.set_exec_id(exec_id);
  auto response = parse_answer<router::TaskExecWaitResponse>(
      "TaskExecWait", call("TaskExecWait", request.SerializeAsString(), Clock::now() + timeout));
  if (!response) return response.error();
  ExecExit exit;
  if (response->has_code()) exit.code = response->code();
  if (response->has_signal()) exit.signal = response->signal();
  if (!exit.code && !exit.signal) return missing_answer_field("TaskExecWait", "code or signal");
  return exit;
}

core::Result<std::string> CommandRouter::snapshot_filesystem(
    std::optional<std::int64_t> ttl_seconds, std::chrono::seconds timeout) {
  router::TaskSnapshotFilesystemRequest request;
  request.set_task_id(task_id_);
  if (ttl_seconds) request.set_ttl_seconds(*ttl_seconds);
  auto response = parse_answer<router::TaskSnapshotFilesystemResponse>(
      "TaskSnapshotFilesystem",
      call("TaskSnapshotFilesystem", request.SerializeAsString(), Clock::now() + timeout));
  if (!response) return response.error();
  if (response->image_id().empty())
    return missing_answer_field("TaskSnapshotFilesystem", "image_id");
  return response->image_id();
}

}  // namespace parhelia::modal
