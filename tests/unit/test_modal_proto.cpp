// Parhelia's .proto files (modal/proto) against Modal's field numbers and types, listed here
// once, as read from modal_proto/api.proto and task_command_router.proto of
// modal-labs/modal-client (2026-08). A drift between the two is a wire incompatibility that
// compiles: this test is what notices it.
// The client is built with the lite runtime (no descriptors in the binary), so the descriptors
// checked are protoc's own for the same files, its FileDescriptorSet (modal/CMakeLists.txt).
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

using google::protobuf::FieldDescriptor;

struct ExpectedField {
  const char* message;  // full name
  const char* field;
  int number;
  FieldDescriptor::Type type;
};

constexpr auto string_ = FieldDescriptor::TYPE_STRING;
constexpr auto bytes_ = FieldDescriptor::TYPE_BYTES;
constexpr auto bool_ = FieldDescriptor::TYPE_BOOL;
constexpr auto uint32_ = FieldDescriptor::TYPE_UINT32;
constexpr auto int32_ = FieldDescriptor::TYPE_INT32;
constexpr auto uint64_ = FieldDescriptor::TYPE_UINT64;
constexpr auto int64_ = FieldDescriptor::TYPE_INT64;
constexpr auto float_ = FieldDescriptor::TYPE_FLOAT;
constexpr auto double_ = FieldDescriptor::TYPE_DOUBLE;
constexpr auto enum_ = FieldDescriptor::TYPE_ENUM;
constexpr auto message_ = FieldDescriptor::TYPE_MESSAGE;

// Modal's wire contract for what Parhelia uses.
const std::vector<ExpectedField> modal_fields = {
    {"modal.client.GenericResult", "status", 1, enum_},
    {"modal.client.GenericResult", "exception", 2, string_},
    {"modal.client.GenericResult", "exitcode", 3, int32_},
    {"modal.client.AuthTokenGetResponse", "token", 1, string_},
    {"modal.client.AppGetOrCreateRequest", "app_name", 1, string_},
    {"modal.client.AppGetOrCreateRequest", "environment_name", 2, string_},
    {"modal.client.AppGetOrCreateRequest", "object_creation_type", 3, enum_},
    {"modal.client.AppGetOrCreateResponse", "app_id", 1, string_},
    {"modal.client.SecretGetOrCreateRequest", "deployment_name", 1, string_},
    {"modal.client.SecretGetOrCreateRequest", "environment_name", 3, string_},
    {"modal.client.SecretGetOrCreateRequest", "object_creation_type", 4, enum_},
    {"modal.client.SecretGetOrCreateRequest", "env_dict", 5, message_},
    {"modal.client.SecretGetOrCreateRequest", "app_id", 6, string_},
    {"modal.client.SecretGetOrCreateRequest", "required_keys", 7, string_},
    {"modal.client.SecretGetOrCreateResponse", "secret_id", 1, string_},
    {"modal.client.GPUConfig", "count", 2, uint32_},
    {"modal.client.GPUConfig", "gpu_type", 4, string_},
    {"modal.client.Image", "dockerfile_commands", 6, string_},
    {"modal.client.Image", "secret_ids", 12, string_},
    {"modal.client.Image", "gpu_config", 16, message_},
    {"modal.client.ImageGetOrCreateRequest", "image", 2, message_},
    {"modal.client.ImageGetOrCreateRequest", "app_id", 4, string_},
    {"modal.client.ImageGetOrCreateRequest", "force_build", 7, bool_},
    {"modal.client.ImageGetOrCreateRequest", "builder_version", 9, string_},
    {"modal.client.ImageGetOrCreateResponse", "image_id", 1, string_},
    {"modal.client.ImageGetOrCreateResponse", "result", 2, message_},
    {"modal.client.TaskLogs", "data", 1, string_},
    {"modal.client.TaskLogs", "timestamp", 7, double_},
    {"modal.client.TaskLogs", "file_descriptor", 8, enum_},
    {"modal.client.ImageJoinStreamingRequest", "image_id", 1, string_},
    {"modal.client.ImageJoinStreamingRequest", "timeout", 2, float_},
    {"modal.client.ImageJoinStreamingRequest", "last_entry_id", 3, string_},
    {"modal.client.ImageJoinStreamingRequest", "include_logs_for_finished", 4, bool_},
    {"modal.client.ImageJoinStreamingResponse", "result", 1, message_},
    {"modal.client.ImageJoinStreamingResponse", "task_logs", 2, message_},
    {"modal.client.ImageJoinStreamingResponse", "entry_id", 3, string_},
    {"modal.client.ImageJoinStreamingResponse", "eof", 4, bool_},
    {"modal.client.Resources", "memory_mb", 2, uint32_},
    {"modal.client.Resources", "milli_cpu", 3, uint32_},
    {"modal.client.Resources", "gpu_config", 4, message_},
    {"modal.client.Resources", "memory_mb_max", 5, uint32_},
    {"modal.client.Resources", "milli_cpu_max", 7, uint32_},
    {"modal.client.PortSpec", "port", 1, uint32_},
    {"modal.client.PortSpec", "unencrypted", 2, bool_},
    {"modal.client.PortSpecs", "ports", 1, message_},
    {"modal.client.Probe", "tcp_port", 1, uint32_},
    {"modal.client.Probe", "interval_ms", 3, uint32_},
    {"modal.client.StringMap", "contents", 1, message_},
    {"modal.client.Sandbox", "entrypoint_args", 1, string_},
    {"modal.client.Sandbox", "image_id", 3, string_},
    {"modal.client.Sandbox", "secret_ids", 4, string_},
    {"modal.client.Sandbox", "resources", 5, message_},
    {"modal.client.Sandbox", "timeout_secs", 7, uint32_},
    {"modal.client.Sandbox", "workdir", 8, string_},
    {"modal.client.Sandbox", "open_ports", 20, message_},
    {"modal.client.Sandbox", "enable_snapshot", 24, bool_},
    {"modal.client.Sandbox", "cloud_provider_str", 26, string_},
    {"modal.client.Sandbox", "name", 30, string_},
    {"modal.client.Sandbox", "idle_timeout_secs", 33, uint32_},
    {"modal.client.Sandbox", "readiness_probe", 38, message_},
    {"modal.client.Sandbox", "environment_variables", 40, message_},
    {"modal.client.SandboxTag", "tag_name", 1, string_},
    {"modal.client.SandboxTag", "tag_value", 2, string_},
    {"modal.client.SandboxCreateRequest", "app_id", 1, string_},
    {"modal.client.SandboxCreateRequest", "definition", 2, message_},
    {"modal.client.SandboxCreateRequest", "tags", 4, message_},
    {"modal.client.SandboxCreateResponse", "sandbox_id", 1, string_},
    {"modal.client.SandboxGetFromNameRequest", "sandbox_name", 1, string_},
    {"modal.client.SandboxGetFromNameRequest", "environment_name", 2, string_},
    {"modal.client.SandboxGetFromNameRequest", "app_name", 3, string_},
    {"modal.client.SandboxGetFromNameResponse", "sandbox_id", 1, string_},
    {"modal.client.SandboxWaitRequest", "sandbox_id", 1, string_},
    {"modal.client.SandboxWaitRequest", "timeout", 2, float_},
    {"modal.client.SandboxWaitResponse", "result", 1, message_},
    {"modal.client.TunnelData", "host", 1, string_},
    {"modal.client.TunnelData", "port", 2, uint32_},
    {"modal.client.TunnelData", "unencrypted_host", 3, string_},
    {"modal.client.TunnelData", "unencrypted_port", 4, uint32_},
    {"modal.client.TunnelData", "container_port", 5, uint32_},
    {"modal.client.SandboxGetTunnelsRequest", "sandbox_id", 1, string_},
    {"modal.client.SandboxGetTunnelsRequest", "timeout", 2, float_},
    {"modal.client.SandboxGetTunnelsResponse", "result", 1, message_},
    {"modal.client.SandboxGetTunnelsResponse", "tunnels", 2, message_},
    {"modal.client.SandboxGetLogsRequest", "sandbox_id", 1, string_},
    {"modal.client.SandboxGetLogsRequest", "file_descriptor", 2, enum_},
    {"modal.client.SandboxGetLogsRequest", "timeout", 3, float_},
    {"modal.client.SandboxGetLogsRequest", "last_entry_id", 4, string_},
    {"modal.client.TaskLogsBatch", "task_id", 1, string_},
    {"modal.client.TaskLogsBatch", "items", 2, message_},
    {"modal.client.TaskLogsBatch", "entry_id", 5, string_},
    {"modal.client.TaskLogsBatch", "eof", 14, bool_},
    {"modal.client.SandboxGetTaskIdRequest", "sandbox_id", 1, string_},
    {"modal.client.SandboxGetTaskIdRequest", "timeout", 2, float_},
    {"modal.client.SandboxGetTaskIdRequest", "wait_until_ready", 3, bool_},
    {"modal.client.SandboxGetTaskIdResponse", "task_id", 1, string_},
    {"modal.client.SandboxGetTaskIdResponse", "task_result", 2, message_},
    {"modal.client.TaskGetCommandRouterAccessRequest", "task_id", 1, string_},
    {"modal.client.TaskGetCommandRouterAccessResponse", "jwt", 1, string_},
    {"modal.client.TaskGetCommandRouterAccessResponse", "url", 2, string_},
    {"modal.client.SandboxTerminateRequest", "sandbox_id", 1, string_},
    {"modal.client.SandboxTerminateResponse", "existing_result", 1, message_},
    {"modal.client.TaskInfo", "id", 1, string_},
    {"modal.client.TaskInfo", "started_at", 2, double_},
    {"modal.client.TaskInfo", "finished_at", 3, double_},
    {"modal.client.TaskInfo", "result", 4, message_},
    {"modal.client.TaskInfo", "gpu_type", 6, string_},
    {"modal.client.TaskInfo", "sandbox_id", 7, string_},
    {"modal.client.TaskInfo", "gpu_config", 9, message_},
    {"modal.client.SandboxInfo", "id", 1, string_},
    {"modal.client.SandboxInfo", "created_at", 3, double_},
    {"modal.client.SandboxInfo", "task_info", 4, message_},
    {"modal.client.SandboxInfo", "app_id", 5, string_},
    {"modal.client.SandboxInfo", "tags", 6, message_},
    {"modal.client.SandboxInfo", "name", 7, string_},
    {"modal.client.SandboxInfo", "image_id", 8, string_},
    {"modal.client.SandboxInfo", "timeout_secs", 11, uint32_},
    {"modal.client.SandboxInfo", "idle_timeout_secs", 12, uint32_},
    {"modal.client.SandboxInfo", "tunnels", 15, message_},
    {"modal.client.SandboxListRequest", "app_id", 1, string_},
    {"modal.client.SandboxListRequest", "before_timestamp", 2, double_},
    {"modal.client.SandboxListRequest", "environment_name", 3, string_},
    {"modal.client.SandboxListRequest", "include_finished", 4, bool_},
    {"modal.client.SandboxListRequest", "tags", 5, message_},
    {"modal.client.SandboxListResponse", "sandboxes", 1, message_},
    {"modal.client.SandboxTagsSetRequest", "environment_name", 1, string_},
    {"modal.client.SandboxTagsSetRequest", "sandbox_id", 2, string_},
    {"modal.client.SandboxTagsSetRequest", "tags", 3, message_},
    {"modal.client.SandboxGetResourceUsageRequest", "sandbox_id", 1, string_},
    {"modal.client.SandboxGetResourceUsageResponse", "cpu_core_nanosecs", 1, uint64_},
    {"modal.client.SandboxGetResourceUsageResponse", "mem_gib_nanosecs", 2, uint64_},
    {"modal.client.SandboxGetResourceUsageResponse", "gpu_nanosecs", 3, uint64_},
    {"modal.client.SandboxGetResourceUsageResponse", "gpu_type", 4, string_},
    {"modal.client.SandboxSnapshotFsRequest", "sandbox_id", 1, string_},
    {"modal.client.SandboxSnapshotFsRequest", "timeout", 2, float_},
    {"modal.client.SandboxSnapshotFsResponse", "image_id", 1, string_},
    {"modal.client.SandboxSnapshotFsResponse", "result", 2, message_},
    {"modal.task_command_router.TaskExecStartRequest", "task_id", 1, string_},
    {"modal.task_command_router.TaskExecStartRequest", "exec_id", 2, string_},
    {"modal.task_command_router.TaskExecStartRequest", "command_args", 3, string_},
    {"modal.task_command_router.TaskExecStartRequest", "stdout_config", 4, enum_},
    {"modal.task_command_router.TaskExecStartRequest", "stderr_config", 5, enum_},
    {"modal.task_command_router.TaskExecStartRequest", "timeout_secs", 6, uint32_},
    {"modal.task_command_router.TaskExecStartRequest", "workdir", 7, string_},
    {"modal.task_command_router.TaskExecStartRequest", "secret_ids", 8, string_},
    {"modal.task_command_router.TaskExecStartRequest", "env", 12, message_},
    {"modal.task_command_router.TaskExecStdioReadRequest", "task_id", 1, string_},
    {"modal.task_command_router.TaskExecStdioReadRequest", "exec_id", 2, string_},
    {"modal.task_command_router.TaskExecStdioReadRequest", "offset", 3, uint64_},
    {"modal.task_command_router.TaskExecStdioReadRequest", "file_descriptor", 4, enum_},
    {"modal.task_command_router.TaskExecStdioReadResponse", "data", 1, bytes_},
    {"modal.task_command_router.TaskExecStdinWriteRequest", "task_id", 1, string_},
    {"modal.task_command_router.TaskExecStdinWriteRequest", "exec_id", 2, string_},
    {"modal.task_command_router.TaskExecStdinWriteRequest", "offset", 3, uint64_},
    {"modal.task_command_router.TaskExecStdinWriteRequest", "data", 4, bytes_},
    {"modal.task_command_router.TaskExecStdinWriteRequest", "eof", 5, bool_},
    {"modal.task_command_router.TaskExecWaitRequest", "task_id", 1, string_},
    {"modal.task_command_router.TaskExecWaitRequest", "exec_id", 2, string_},
    {"modal.task_command_router.TaskExecWaitResponse", "code", 1, int32_},
    {"modal.task_command_router.TaskExecWaitResponse", "signal", 2, int32_},
    {"modal.task_command_router.TaskSnapshotFilesystemRequest", "task_id", 1, string_},
    {"modal.task_command_router.TaskSnapshotFilesystemRequest", "snapshot_id", 2, string_},
    {"modal.task_command_router.TaskSnapshotFilesystemRequest", "ttl_seconds", 3, int64_},
    {"modal.task_command_router.TaskSnapshotFilesystemResponse", "image_id", 1, string_},
};

// The pool of Parhelia's .proto files as protoc compiled them.
const google::protobuf::DescriptorPool& modal_pool() {
  static const auto pool = [] {
    std::ifstream file(PARHELIA_MODAL_DESCRIPTOR_SET, std::ios::binary);
    std::stringstream bytes;
    bytes << file.rdbuf();
    google::protobuf::FileDescriptorSet set;
    REQUIRE(set.ParseFromString(bytes.str()));
    auto built = std::make_unique<google::protobuf::DescriptorPool>();
    for (const auto& file_proto : set.file()) REQUIRE(built->BuildFile(file_proto) != nullptr);
    return built;
  }();
  return *pool;
}

}  // namespace

TEST_CASE("modal proto: every field Parhelia sends or reads has Modal's number and type",
          "[modal-proto]") {
  const auto* pool = &modal_pool();
  int fields_in_files = 0;
  for (const char* file : {"api.proto", "task_command_router.proto"}) {
    const auto* descriptor = pool->FindFileByName(file);
    REQUIRE(descriptor != nullptr);
    for (int m = 0; m < descriptor->message_type_count(); ++m) {
      fields_in_files += descriptor->message_type(m)->field_count();
    }
  }
  for (const auto& expected : modal_fields) {
    INFO(expected.message << "." << expected.field);
    const auto* message = pool->FindMessageTypeByName(expected.message);
    REQUIRE(message != nullptr);
    const auto* field = message->FindFieldByName(expected.field);
    REQUIRE(field != nullptr);
    CHECK(field->number() == expected.number);
    CHECK(field->type() == expected.type);
  }
  // Every field in the files is listed above: none was added without checking Modal's number.
  CHECK(fields_in_files == static_cast<int>(modal_fields.size()));
}

TEST_CASE("modal proto: the services and methods have Modal's names", "[modal-proto]") {
  const auto* pool = &modal_pool();
  const auto* api = pool->FindServiceByName("modal.client.ModalClient");
  REQUIRE(api != nullptr);
  for (const char* method :
       {"AuthTokenGet", "AppGetOrCreate", "SecretGetOrCreate", "ImageGetOrCreate",
        "ImageJoinStreaming", "SandboxCreate", "SandboxGetFromName", "SandboxWait",
        "SandboxGetTunnels", "SandboxGetLogs", "SandboxGetTaskId", "TaskGetCommandRouterAccess",
        "SandboxTerminate", "SandboxList", "SandboxTagsSet", "SandboxGetResourceUsage",
        "SandboxSnapshotFs"}) {
    INFO(method);
    CHECK(api->FindMethodByName(method) != nullptr);
  }
  CHECK(api->FindMethodByName("SandboxGetLogs")->server_streaming());
  const auto* router = pool->FindServiceByName("modal.task_command_router.TaskCommandRouter");
  REQUIRE(router != nullptr);
  CHECK(router->FindMethodByName("TaskExecStdioRead")->server_streaming());
  for (const char* method :
       {"TaskExecStart", "TaskExecStdinWrite", "TaskExecWait", "TaskSnapshotFilesystem"}) {
    INFO(method);
    CHECK(router->FindMethodByName(method) != nullptr);
  }
}
