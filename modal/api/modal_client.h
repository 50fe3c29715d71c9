// Modal's API as typed calls, over one gRPC channel: Modal's headers and auth token on every
// call, a deadline on every call, retries for what is safe to repeat, errors as sentences.
// The calls block the calling thread (the backend calls them from its own threads, never from
// an MCP request's path); streams deliver as they arrive and can be cancelled.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "modal/api/modal_types.h"
#include "modal/api/retry_schedule.h"
#include "modal/credentials.h"
#include "modal/grpc/grpc_channel.h"

namespace parhelia::modal {

struct ModalClientOptions {
  // A CA to trust for Modal's API instead of the system's (the tests' stand-in); by default
  // $PARHELIA_MODAL_CA_FILE when set.
  std::optional<std::filesystem::path> ca_file;
  std::chrono::milliseconds call_timeout{30000};  // one unary call, all its attempts together
  RetrySchedule retries;
};

class CommandRouter;

class ModalClient {
 public:
  // Needs complete credentials; makes no call yet.
  static core::Result<std::unique_ptr<ModalClient>> open(ModalCredentials credentials,
                                                         ModalClientOptions options = {});
  ~ModalClient();

  const ModalCredentials& credentials() const { return credentials_; }

  // AuthTokenGet, now (doctor: is the token accepted?). Other calls fetch it when they need it.
  core::Result<core::Done> authenticate();

  core::Result<std::string> app_get_or_create(const std::string& app_name);
  // A named secret, made from `values` when missing.
  core::Result<std::string> secret_get_or_create(
      const std::string& name, const std::map<std::string, std::string>& values,
      const std::vector<std::string>& required_keys = {});
  // An ephemeral secret from values (lives as long as the client's use of it).
  core::Result<std::string> secret_from_values(const std::map<std::string, std::string>& values);

  struct ImageBuild {
    std::string image_id;
    std::optional<Outcome> outcome;  // set when already built (or failed)
  };
  core::Result<ImageBuild> image_get_or_create(const std::string& app_id,
                                               const std::vector<std::string>& dockerfile_commands,
                                               bool force_build = false);
  // Follows the image's build, its log lines to on_log, until it is done.
  core::Result<Outcome> image_join(const std::string& image_id,
                                   const std::function<void(const std::string&)>& on_log,
                                   std::chrono::seconds timeout = std::chrono::seconds(3600));

  // Creates the sandbox. A named create whose answer is lost is retried, and a retry that finds
  // the name taken resolves to the sandbox the lost attempt made: exactly one sandbox.
  core::Result<std::string> sandbox_create(const SandboxSpec& spec);
  core::Result<std::string> sandbox_from_name(const std::string& app_name, const std::string& name);
  // Holds up to `timeout`; nothing while the sandbox still runs.
  core::Result<std::optional<Outcome>> sandbox_wait(const std::string& sandbox_id,
                                                    std::chrono::seconds timeout);
  core::Result<std::vector<Tunnel>> sandbox_tunnels(const std::string& sandbox_id,
                                                    std::chrono::seconds timeout);
  // The task id once the sandbox runs; nothing when it ended first.
  core::Result<std::optional<std::string>> sandbox_task_id(const std::string& sandbox_id,
                                                           std::chrono::seconds timeout,
                                                           bool wait_until_ready = false);
  // The outcome it had when it had already ended.
  core::Result<std::optional<Outcome>> sandbox_terminate(const std::string& sandbox_id);
  core::Result<core::Done> sandbox_set_tags(const std::string& sandbox_id, const Tags& tags);
  core::Result<ResourceUsage> sandbox_resource_usage(const std::string& sandbox_id);
  core::Result<std::string> sandbox_snapshot_filesystem(const std::string& sandbox_id,
                                                        std::chrono::seconds timeout);
  // Every sandbox of the app having all `tags`, newest first, read page by page.
  core::Result<std::vector<SandboxListing>> sandbox_list(const std::string& app_id,
                                                         const Tags& tags, bool include_finished);

  // Follows a sandbox's log from after `last_entry_id` ("" from the start) until the sandbox
  // ended and all was sent, or on_entry returns false, or cancel() of the returned handle. A
  // stream cut midway is reopened after the last entry received: nothing lost, nothing twice.
  // on_entry runs on whichever thread drives the client's channel: quick, and no calls of
  // this client from inside it.
  struct LogFollow {
    std::function<bool(const LogEntry&)> on_entry;
    LogStream which = LogStream::both;
    std::string last_entry_id;
  };
  class LogFollower {
   public:
    virtual ~LogFollower() = default;
    virtual core::Result<std::string> wait() = 0;  // the last entry id
    virtual void cancel() = 0;
  };
  std::unique_ptr<LogFollower> follow_sandbox_logs(const std::string& sandbox_id, LogFollow follow);

  // The sandbox's command router (exec, stdio, snapshots), on its own connection.
  core::Result<std::unique_ptr<CommandRouter>> command_router(const std::string& task_id);

  // The generic call under the typed ones: headers, auth, deadline, retries, error sentences.
  core::Result<std::string> call(std::string_view method, const std::string& request, Repeat repeat,
                                 Clock::time_point deadline);
  // A server stream of the ModalClient service, one attempt; on_message on whichever thread drives
  // the channel.
  std::shared_ptr<GrpcCall> stream(std::string_view method, const std::string& request,
                                   Clock::time_point deadline,
                                   std::function<bool(std::string&&)> on_message,
                                   core::Result<core::Done>& started);
  core::Error error_of(std::string_view method, const GrpcStatus& status) const;
  Clock::time_point deadline_in(std::chrono::milliseconds timeout) const {
    return Clock::now() + timeout;
  }
  const ModalClientOptions& options() const { return options_; }

 private:
  ModalClient(ModalCredentials credentials, ModalClientOptions options,
              std::shared_ptr<GrpcChannel> channel);
  core::Result<std::string> auth_token(bool refresh);
  GrpcMetadata base_metadata() const;

  ModalCredentials credentials_;
  ModalClientOptions options_;
  std::shared_ptr<GrpcChannel> channel_;
  std::mutex auth_mutex_;
  std::string auth_token_;
  std::int64_t auth_refresh_at_ = 0;  // seconds since the epoch
};

// One sandbox's command router: TaskExec* and TaskSnapshotFilesystem with its own JWT.
class CommandRouter {
 public:
  CommandRouter(ModalClient& client, std::string task_id, std::string jwt,
                std::shared_ptr<GrpcChannel> channel);
  const std::string& task_id() const { return task_id_; }

  core::Result<core::Done> exec_start(const ExecSpec& spec);
  // Reads stdout (or stderr) of the exec from `offset` until it closes, on_data per piece (on
  // the channel's thread); a cut read resumes at the bytes already had. Returns the bytes read.
  core::Result<std::uint64_t> exec_read(const std::string& exec_id, bool from_stderr,
                                        std::uint64_t offset,
                                        const std::function<bool(std::string_view)>& on_data);
  core::Result<core::Done> exec_write_stdin(const std::string& exec_id, std::uint64_t offset,
                                            std::string_view data, bool eof);
  core::Result<ExecExit> exec_wait(const std::string& exec_id, std::chrono::seconds timeout);
  core::Result<std::string> snapshot_filesystem(std::optional<std::int64_t> ttl_seconds,
                                                std::chrono::seconds timeout);

 private:
  core::Result<std::string> call(std::string_view method, const std::string& request,
                                 Clock::time_point deadline);
  ModalClient& client_;
  std::string task_id_;
  std::string jwt_;
  std::shared_ptr<GrpcChannel> channel_;
};

}  // namespace parhelia::modal
