// A gRPC channel to one endpoint (Modal's API, or one sandbox's command router) over libcurl:
// HTTP/2 over TLS, every call a stream on one multiplexed connection, driven through
// a curl multi handle that the threads waiting for calls drive in turn. Unary and
// server-streaming calls; messages of a stream are handed over as they arrive. Every call has
// a deadline; a stream can be cancelled from any thread; TCP keepalive probes keep a quiet
// connection open behind NAT.
//
// Thread safety: every method may be called from any thread. A stream's callback runs on
// whichever thread is driving the channel at the time (the stream's own waiter, or another
// caller's), so it must be quick (append, hand off) and must not call the channel.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/result.h"
#include "modal/grpc/grpc_status.h"

namespace parhelia::modal {

using Clock = std::chrono::steady_clock;
// Request headers beyond gRPC's own: Modal's credentials, its client type, retry headers.
using GrpcMetadata = std::vector<std::pair<std::string, std::string>>;

struct GrpcChannelOptions {
  std::string base_url;                          // "https://api.modal.com:443"
  std::optional<std::filesystem::path> ca_file;  // trust this CA instead of the system's
  std::chrono::milliseconds keepalive{30000};    // HTTP/2 PING on an idle connection
  std::string user_agent = "parhelia";
};

struct GrpcCallOptions {
  Clock::time_point deadline;
  GrpcMetadata metadata;
};

class GrpcCall;

class GrpcChannel {
 public:
  // Checks the URL (https:// only) and loads libcurl; no connection is made until a call.
  static core::Result<std::shared_ptr<GrpcChannel>> open(GrpcChannelOptions options);
  ~GrpcChannel();
  GrpcChannel(const GrpcChannel&) = delete;
  GrpcChannel& operator=(const GrpcChannel&) = delete;

  const std::string& base_url() const;

  // A unary call: the request's bytes out, the answer's bytes into `response`.
  GrpcStatus unary(std::string_view method_path, std::string_view request,
                   const GrpcCallOptions& options, std::string& response);

  // A server-streaming call, started now and moved along while a thread waits on any of the
  // channel's calls: on_message gets each message as it arrives and returns false to end the
  // stream (the call then ends CANCELLED).
  std::shared_ptr<GrpcCall> start_stream(std::string_view method_path, std::string_view request,
                                         const GrpcCallOptions& options,
                                         std::function<bool(std::string&&)> on_message);

  struct Impl;

 private:
  explicit GrpcChannel(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;  // shared with the calls, which wake its thread to cancel
};

// A call in flight: wait for its outcome, or cancel it from any thread.
class GrpcCall {
 public:
  virtual ~GrpcCall() = default;
  // Blocks until the call ended; its status (CANCELLED after cancel()).
  virtual GrpcStatus wait() = 0;
  // Ends the call now (HTTP/2 RST_STREAM); wait() then answers CANCELLED unless it had ended.
  virtual void cancel() = 0;
  virtual bool done() const = 0;
};

}  // namespace parhelia::modal
