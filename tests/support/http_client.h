// A raw HTTP/1.1 client for the tests of `parhelia mcp --http`: it sends exactly the headers a
// test gives (a foreign Host included), reads whole or chunked answers, parses SSE events as
// they come and can hang up in the middle of a stream, as a client that loses its network does.
// It only ever connects to 127.0.0.1.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/base/process.h"
#include "tests/support/temp_dir.h"

namespace parhelia::testing {

struct SseEvent {
  std::string id;
  std::string event;
  std::string data;
  std::optional<int> retry;
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::vector<SseEvent> events;  // for text/event-stream
  bool hung_up = false;          // the client left before the end (stop_when)
  std::string header(const std::string& lower_name) const;
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
};

struct HttpRequest {
  std::string method = "POST";
  std::string path = "/mcp";
  std::vector<std::pair<std::string, std::string>> headers;  // Host is added unless given
  std::string body;
  // For a stream: hang up once this says so (after each event); never, when empty.
  std::function<bool(const std::vector<SseEvent>&)> stop_when;
  std::chrono::milliseconds timeout{15000};
};

// One request on a new connection to 127.0.0.1:port.
HttpResponse http_request(int port, const HttpRequest& request);

// `parhelia mcp --http 127.0.0.1:0` with its own PARHELIA_HOME and the extra arguments.
class HttpMcpServer {
 public:
  explicit HttpMcpServer(std::vector<std::string> extra_args = {},
                         std::vector<std::string> environment = {});
  ~HttpMcpServer();
  int port() const { return port_; }
  const std::string& url() const { return url_; }
  // The POST of one JSON-RPC message with the headers an MCP client sends (and `extra`).
  HttpResponse post(const nlohmann::json& message, const std::string& session_id = "",
                    std::vector<std::pair<std::string, std::string>> extra = {},
                    const std::string& accept = "application/json");
  // initialize (as `version`) and notifications/initialized; returns the session id.
  std::string open_session(const std::string& version = "2025-11-25");

 private:
  ParheliaHome home_;
  std::optional<core::ChildProcess> child_;
  int port_ = 0;
  std::string url_;
};

}  // namespace parhelia::testing
