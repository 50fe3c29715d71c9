// MCP's Streamable HTTP transport (2025-03-26 and later) on one endpoint: POST carries the
// client's messages and answers with JSON or an SSE stream, GET opens the server's stream,
// DELETE ends a session. Each Mcp-Session-Id is a Transport of its own, handed to a handler
// the factory makes (an MCP server); the sessions share whatever the factory shares.
//
// It reads JSON-RPC only as far as routing needs: a request's id (its answer goes on the
// stream of the POST that carried it), a progress token (progress goes with its request), and
// initialize (which makes a session). What the messages mean is the handler's.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "transport/http_server.h"
#include "transport/transport.h"

namespace parhelia::transport {

struct StreamableHttpOptions {
  std::string host = "127.0.0.1";
  int port = 8848;
  std::string path = "/mcp";
  // When set, every request must carry `Authorization: Bearer <token>`; a non-loopback
  // address is refused without one.
  std::string bearer_token;
  http::Limits limits;
  std::size_t max_sessions = 64;
  std::size_t max_streams = 32;  // open SSE streams and JSON answers waited for, all sessions
  std::chrono::seconds session_idle{3600};  // a session nobody used for this long is ended
  // The MCP-Protocol-Version values a later request may carry (400 otherwise).
  std::vector<std::string> protocol_versions;
};

class StreamableHttpServer {
 public:
  // Makes the handler of a new session over its transport; the handler is destroyed (on the
  // session's own thread) when the session ends, before the transport.
  using SessionFactory = std::function<std::unique_ptr<MessageHandler>(Transport&)>;

  StreamableHttpServer(StreamableHttpOptions options, SessionFactory factory);
  ~StreamableHttpServer();
  StreamableHttpServer(const StreamableHttpServer&) = delete;
  StreamableHttpServer& operator=(const StreamableHttpServer&) = delete;

  // Binds the address; false with a sentence in `error` (in use, not an address, a
  // non-loopback address without a token).
  bool listen(std::string& error);
  std::string url() const;

  // Serves until stop(), then ends every session (each handler is destroyed) and returns.
  void run();
  // Async-signal-safe.
  void stop() noexcept { http_.stop(); }

 private:
  class Session;
  struct Stream;
  void handle(const http::Request& request, http::ResponseWriter& writer);
  void post(const http::Request& request, http::ResponseWriter& writer);
  void get(const http::Request& request, http::ResponseWriter& writer);
  void remove(const http::Request& request, http::ResponseWriter& writer);
  // Writes a stream's events as they come until it is finished, the client leaves (the
  // stream stays, to be resumed) or the server stops.
  void pump(Session& session, Stream& stream, http::ResponseWriter& writer);
  // The request's session, or an answer (400, 404) already sent and null.
  std::shared_ptr<Session> session_of(const http::Request& request, http::ResponseWriter& writer);
  void end_session(const std::string& id);
  void expire_idle_sessions();
  bool take_stream_slot();
  void give_stream_slot();

  StreamableHttpOptions options_;
  SessionFactory factory_;
  http::Server http_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Session>> sessions_;
  std::vector<std::shared_ptr<Session>> ended_;  // their threads are joined by the janitor
  std::size_t open_streams_ = 0;
  std::jthread janitor_;
};

}  // namespace parhelia::transport
