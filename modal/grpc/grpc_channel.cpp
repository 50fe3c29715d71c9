#include "modal/grpc/grpc_channel.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>

#include "modal/grpc/curl_library.h"
#include "modal/grpc/grpc_frames.h"

namespace parhelia::modal {

// What one call needs while libcurl drives it; owned jointly by the channel (while in flight)
// and the caller. Its outcome is guarded by the channel's mutex, so that whichever thread
// drives the channel can hand it over without a lost wakeup.
struct CallState final : GrpcCall {
  const CurlLibrary* curl = nullptr;
  std::shared_ptr<GrpcChannel::Impl> channel;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string request_frame;
  std::string url;
  Clock::time_point deadline;
  GrpcFrameReader reader;
  std::function<bool(std::string&&)> on_message;
  char error_buffer[CURL_ERROR_SIZE] = {};
  bool answer_checked = false;       // the HTTP status and content type were looked at
  std::string not_grpc;              // why the answer is not gRPC, once seen
  bool stopped_by_receiver = false;  // on_message returned false
  std::atomic<bool> cancel_requested{false};

  bool finished = false;  // guarded by the channel's mutex
  GrpcStatus status;

  ~CallState() override {
    if (easy) curl->easy_cleanup(easy);
    if (headers) curl->slist_free_all(headers);
  }

  GrpcStatus wait() override;
  void cancel() override;
  bool done() const override;
  void finish(GrpcStatus outcome);
};

namespace {

std::optional<std::string> last_header(const CurlLibrary& curl, CURL* easy, const char* name) {
  // On libcurl 7.88 HTTP/2 trailers are stored as headers (CURLH_HEADER), on later versions as
  // trailers: ask for both and take the last, which is the trailer when both exist.
  constexpr unsigned origins = CURLH_HEADER | CURLH_TRAILER;
  curl_header* header = nullptr;
  if (curl.easy_header(easy, name, 0, origins, -1, &header) != CURLHE_OK) return std::nullopt;
  if (header->amount > 1 &&
      curl.easy_header(easy, name, header->amount - 1, origins, -1, &header) != CURLHE_OK) {
    return std::nullopt;
  }
  return std::string(header->value);
}

// Looks at the answer's status line and content type before its first bytes are taken.
void check_answer(CallState& call) {
  call.answer_checked = true;
  long http_status = 0;
  call.curl->easy_getinfo(call.easy, CURLINFO_RESPONSE_CODE, &http_status);
  long http_version = 0;
  call.curl->easy_getinfo(call.easy, CURLINFO_HTTP_VERSION, &http_version);
  char* content_type = nullptr;
  call.curl->easy_getinfo(call.easy, CURLINFO_CONTENT_TYPE, &content_type);
  const std::string type = content_type ? content_type : "";
  if (http_version != CURL_HTTP_VERSION_2_0) {
    call.not_grpc =
        "it answered over HTTP/1 (HTTP " + std::to_string(http_status) + "), not gRPC's HTTP/2";
  } else if (http_status != 200 || type.rfind("application/grpc", 0) != 0) {
    call.not_grpc = "it answered HTTP " + std::to_string(http_status) +
                    (type.empty() ? "" : " with " + type) + ", not gRPC";
  }
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto& call = *static_cast<CallState*>(user);
  const size_t bytes = size * count;
  if (!call.answer_checked) check_answer(call);
  if (!call.not_grpc.empty()) return CURL_WRITEFUNC_ERROR;
  if (call.cancel_requested.load(std::memory_order_relaxed)) return CURL_WRITEFUNC_ERROR;
  if (!call.reader.feed(std::string_view(data, bytes), call.on_message)) {
    if (call.reader.error().empty()) call.stopped_by_receiver = true;
    return CURL_WRITEFUNC_ERROR;
  }
  return bytes;
}

TransportFailure failure_of(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return TransportFailure::resolve;
    case CURLE_COULDNT_CONNECT:
      return TransportFailure::connect;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return TransportFailure::tls;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_PARTIAL_FILE:
      return TransportFailure::connection_lost;
    default:
      return TransportFailure::other;
  }
}

// The call's outcome once libcurl is done with it.
GrpcStatus outcome_of(CallState& call, CURLcode result) {
  if (call.cancel_requested || call.stopped_by_receiver) {
    return GrpcStatus::from_server(GrpcCode::cancelled, "the call was cancelled");
  }
  if (!call.answer_checked && result == CURLE_OK) check_answer(call);
  if (!call.not_grpc.empty()) {
    return GrpcStatus::from_transport(TransportFailure::not_grpc, call.not_grpc);
  }
  if (!call.reader.error().empty()) {
    return GrpcStatus::from_server(GrpcCode::internal, call.reader.error());
  }
  // A status the server sent decides, even when the connection went down right after it.
  if (auto status = last_header(*call.curl, call.easy, "grpc-status")) {
    const GrpcCode code = grpc_code_from_header(*status);
    if (code != GrpcCode::ok || result == CURLE_OK) {
      std::string message =
          decode_grpc_message(last_header(*call.curl, call.easy, "grpc-message").value_or(""));
      if (code == GrpcCode::ok && call.reader.pending() > 0) {
        return GrpcStatus::from_transport(TransportFailure::connection_lost,
                                          "the answer ended inside a message");
      }
      return GrpcStatus::from_server(code, std::move(message));
    }
  }
  if (result == CURLE_OPERATION_TIMEDOUT) {
    return GrpcStatus::from_transport(TransportFailure::none, "", GrpcCode::deadline_exceeded);
  }
  const std::string detail =
      call.error_buffer[0] ? call.error_buffer : call.curl->easy_strerror(result);
  if (result == CURLE_OK) {
    return GrpcStatus::from_transport(TransportFailure::connection_lost,
                                      "the answer ended without a gRPC status");
  }
  return GrpcStatus::from_transport(failure_of(result), detail);
}

bool header_value_is_safe(std::string_view value) {
  return value.find_first_of("\r\n") == std::string_view::npos;
}

}  // namespace

// No thread of its own: the threads waiting for calls drive the multi handle, one at a time
// (whoever finds it free), and hand it on when their own call is done. A caller making one
// call after another thus sends and reads on its own thread, with no handoff to wait for,
// which on a busy machine is most of a call's latency; calls from many threads still share
// the one connection.
struct GrpcChannel::Impl : std::enable_shared_from_this<GrpcChannel::Impl> {
  const CurlLibrary* curl = nullptr;
  GrpcChannelOptions options;
  CURLM* multi = nullptr;

  std::mutex mutex;                 // guards everything below and every call's outcome
  std::condition_variable changed;  // a call finished, or the driver left
  std::vector<std::shared_ptr<CallState>> submitted;
  bool driving = false;
  bool closed = false;
  // Touched by the driving thread alone (with the mutex released).
  std::map<CURL*, std::shared_ptr<CallState>> in_flight;

  void submit(std::shared_ptr<CallState> call) {
    {
      std::lock_guard lock(mutex);
      if (closed) {
        call->finished = true;
        call->status = GrpcStatus::from_server(GrpcCode::cancelled, "the channel is closed");
        return;
      }
      submitted.push_back(std::move(call));
    }
    curl->multi_wakeup(multi);  // a thread driving now takes it in at once
  }

  void end(std::map<CURL*, std::shared_ptr<CallState>>::iterator it, GrpcStatus status) {
    curl->multi_remove_handle(multi, it->first);
    auto call = std::move(it->second);
    in_flight.erase(it);
    call->finish(std::move(status));
  }

  // One turn of libcurl's loop: new calls in, cancelled ones out, bytes moved, finished ones
  // handed their outcome; then a wait for the sockets (or a wakeup) when `own` is not done.
  void drive_once(const CallState& own) {
    std::vector<std::shared_ptr<CallState>> starting;
    bool closing = false;
    {
      std::lock_guard lock(mutex);
      starting.swap(submitted);
      closing = closed;
    }
    if (closing) {
      for (auto& call : starting) {
        call->finish(GrpcStatus::from_server(GrpcCode::cancelled, "the channel is closed"));
      }
      while (!in_flight.empty()) {
        end(in_flight.begin(),
            GrpcStatus::from_server(GrpcCode::cancelled, "the channel is closed"));
      }
      return;
    }
    for (auto& call : starting) {
      if (call->cancel_requested) {
        call->finish(GrpcStatus::from_server(GrpcCode::cancelled, "the call was cancelled"));
      } else if (curl->multi_add_handle(multi, call->easy) != CURLM_OK) {
        call->finish(
            GrpcStatus::from_transport(TransportFailure::other, "libcurl refused the call"));
      } else {
        in_flight.emplace(call->easy, std::move(call));
      }
    }
    for (auto it = in_flight.begin(); it != in_flight.end();) {
      auto next = std::next(it);
      if (it->second->cancel_requested) {
        end(it, GrpcStatus::from_server(GrpcCode::cancelled, "the call was cancelled"));
      }
      it = next;
    }
    int running = 0;
    curl->multi_perform(multi, &running);
    int queued = 0;
    while (CURLMsg* message = curl->multi_info_read(multi, &queued)) {
      if (message->msg != CURLMSG_DONE) continue;
      auto it = in_flight.find(message->easy_handle);
      if (it == in_flight.end()) continue;
      end(it, outcome_of(*it->second, message->data.result));
    }
    if (!own.done()) curl->multi_poll(multi, nullptr, 0, 1000, nullptr);
  }

  GrpcStatus wait_for(CallState& call) {
    std::unique_lock lock(mutex);
    while (!call.finished) {
      if (driving || closed) {
        changed.wait(lock);
        continue;
      }
      driving = true;
      lock.unlock();
      while (!call.done()) drive_once(call);
      lock.lock();
      driving = false;
      changed.notify_all();  // someone else waiting may drive now
    }
    return call.status;
  }

  void close() {
    std::unique_lock lock(mutex);
    closed = true;
    curl->multi_wakeup(multi);
    changed.wait(lock, [&] { return !driving; });
    for (auto& call : submitted) {
      call->finished = true;
      call->status = GrpcStatus::from_server(GrpcCode::cancelled, "the channel is closed");
    }
    submitted.clear();
    for (auto& [easy, call] : in_flight) {
      curl->multi_remove_handle(multi, easy);
      call->finished = true;
      call->status = GrpcStatus::from_server(GrpcCode::cancelled, "the channel is closed");
    }
    in_flight.clear();
    changed.notify_all();
  }

  ~Impl() {
    if (multi) curl->multi_cleanup(multi);
  }

  std::shared_ptr<CallState> prepare(std::string_view method_path, std::string_view request,
                                     const GrpcCallOptions& call_options,
                                     std::function<bool(std::string&&)> on_message) {
    auto call = std::make_shared<CallState>();
    call->curl = curl;
    call->channel = shared_from_this();
    call->on_message = std::move(on_message);
    call->deadline = call_options.deadline;
    const auto remaining =
        std::chrono::duration_cast<std::chrono::milliseconds>(call_options.deadline - Clock::now());
    if (remaining.count() <= 0) {
      call->finish(
          GrpcStatus::from_transport(TransportFailure::none, "", GrpcCode::deadline_exceeded));
      return call;
    }
    for (const auto& [name, value] : call_options.metadata) {
      if (!header_value_is_safe(name) || !header_value_is_safe(value)) {
        call->finish(GrpcStatus::from_server(GrpcCode::invalid_argument,
                                             "the request header " + name + " holds a line break"));
        return call;
      }
    }
    call->easy = curl->easy_init();
    if (!call->easy) {
      call->finish(GrpcStatus::from_transport(TransportFailure::other, "libcurl is out of memory"));
      return call;
    }
    call->url = options.base_url + std::string(method_path);
    call->request_frame = grpc_frame(request);

    auto add_header = [&](const std::string& line) {
      call->headers = curl->slist_append(call->headers, line.c_str());
    };
    add_header("content-type: application/grpc");
    add_header("te: trailers");
    // gRPC's own deadline header (milliseconds, at most 8 digits), so the server can give up too.
    add_header("grpc-timeout: " + std::to_string(std::min<long long>(remaining.count(), 99999999)) +
               "m");
    add_header("Expect:");  // no 100-continue round trip before a large request
    for (const auto& [name, value] : call_options.metadata) add_header(name + ": " + value);

    CURL* easy = call->easy;
    curl->easy_setopt(easy, CURLOPT_URL, call->url.c_str());
    curl->easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
    curl->easy_setopt(easy, CURLOPT_POST, 1L);
    curl->easy_setopt(easy, CURLOPT_POSTFIELDS, call->request_frame.data());
    curl->easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                      static_cast<curl_off_t>(call->request_frame.size()));
    curl->easy_setopt(easy, CURLOPT_HTTPHEADER, call->headers);
    curl->easy_setopt(easy, CURLOPT_USERAGENT, options.user_agent.c_str());
    curl->easy_setopt(easy, CURLOPT_WRITEFUNCTION, &on_body);
    curl->easy_setopt(easy, CURLOPT_WRITEDATA, call.get());
    curl->easy_setopt(easy, CURLOPT_ERRORBUFFER, call->error_buffer);
    curl->easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(remaining.count()));
    curl->easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                      static_cast<long>(std::min<long long>(remaining.count(), 15000)));
    curl->easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    // Wait for the connection already being made rather than open a second one: every call
    // of a channel shares one connection.
    curl->easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
    // libcurl 7.88 sends HTTP/2 PINGs only from curl_easy_upkeep, which looks after the easy
    // interface's own connections, not a multi handle's; TCP keepalive probes refresh a NAT
    // mapping the same way, so a log stream that is quiet for minutes keeps its connection.
    const long keepalive_s = std::max<long>(1, options.keepalive.count() / 1000);
    curl->easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl->easy_setopt(easy, CURLOPT_TCP_KEEPIDLE, keepalive_s);
    curl->easy_setopt(easy, CURLOPT_TCP_KEEPINTVL, std::max<long>(1, keepalive_s / 3));
    curl->easy_setopt(easy, CURLOPT_BUFFERSIZE, 256L * 1024);
    if (options.ca_file) curl->easy_setopt(easy, CURLOPT_CAINFO, options.ca_file->c_str());
    return call;
  }
};

GrpcStatus CallState::wait() {
  return channel->wait_for(*this);
}

bool CallState::done() const {
  std::lock_guard lock(channel->mutex);
  return finished;
}

void CallState::finish(GrpcStatus outcome) {
  {
    std::lock_guard lock(channel->mutex);
    if (finished) return;
    finished = true;
    status = std::move(outcome);
  }
  channel->changed.notify_all();
}

void CallState::cancel() {
  cancel_requested = true;
  channel->curl->multi_wakeup(channel->multi);
}

core::Result<std::shared_ptr<GrpcChannel>> GrpcChannel::open(GrpcChannelOptions options) {
  if (options.base_url.rfind("https://", 0) != 0) {
    return core::invalid("The Modal API address " + options.base_url + " is not an https:// URL.",
                         "Set MODAL_SERVER_URL to https://HOST[:PORT], or unset it for "
                         "https://api.modal.com.");
  }
  while (!options.base_url.empty() && options.base_url.back() == '/') options.base_url.pop_back();
  auto curl = curl_library();
  if (!curl) return curl.error();
  auto impl = std::make_shared<Impl>();
  impl->curl = curl.value();
  impl->options = std::move(options);
  impl->multi = impl->curl->multi_init();
  if (!impl->multi) {
    return core::Error{core::ErrorCode::internal, "libcurl could not make a multi handle.", ""};
  }
  impl->curl->multi_setopt(impl->multi, CURLMOPT_PIPELINING, static_cast<long>(CURLPIPE_MULTIPLEX));
  return std::shared_ptr<GrpcChannel>(new GrpcChannel(std::move(impl)));
}

GrpcChannel::GrpcChannel(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

GrpcChannel::~GrpcChannel() {
  impl_->close();
}

const std::string& GrpcChannel::base_url() const {
  return impl_->options.base_url;
}

std::shared_ptr<GrpcCall> GrpcChannel::start_stream(std::string_view method_path,
                                                    std::string_view request,
                                                    const GrpcCallOptions& options,
                                                    std::function<bool(std::string&&)> on_message) {
  auto call = impl_->prepare(method_path, request, options, std::move(on_message));
  if (!call->done()) impl_->submit(call);
  return call;
}

GrpcStatus GrpcChannel::unary(std::string_view method_path, std::string_view request,
                              const GrpcCallOptions& options, std::string& response) {
  response.clear();
  int messages = 0;
  auto call = start_stream(method_path, request, options, [&](std::string&& message) {
    if (++messages == 1) response = std::move(message);
    return messages == 1;
  });
  GrpcStatus status = call->wait();
  if (messages > 1) {
    return GrpcStatus::from_server(GrpcCode::internal,
                                   "the server answered a unary call with more than one message");
  }
  if (status.ok() && messages == 0) {
    return GrpcStatus::from_server(GrpcCode::internal, "the server's answer held no message");
  }
  return status;
}

}  // namespace parhelia::modal
