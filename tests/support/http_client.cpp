#include "tests/support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "core/base/environment.h"

namespace parhelia::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Takes the complete events out of `text` (SSE: fields, one event per blank line).
void take_events(std::string& text, std::vector<SseEvent>& events) {
  std::size_t end;
  while ((end = text.find("\n\n")) != std::string::npos) {
    const std::string block = text.substr(0, end);
    text.erase(0, end + 2);
    SseEvent event;
    bool any = false;
    std::size_t start = 0;
    while (start <= block.size()) {
      std::size_t line_end = block.find('\n', start);
      if (line_end == std::string::npos) line_end = block.size();
      const std::string line = block.substr(start, line_end - start);
      start = line_end + 1;
      if (line.empty() || line[0] == ':') continue;
      const auto colon = line.find(':');
      const std::string field = line.substr(0, colon);
      std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
      if (!value.empty() && value[0] == ' ') value.erase(0, 1);
      any = true;
      if (field == "id") event.id = value;
      if (field == "event") event.event = value;
      if (field == "data") event.data += (event.data.empty() ? "" : "\n") + value;
      if (field == "retry") event.retry = std::stoi(value);
    }
    if (any) events.push_back(event);
  }
}

}  // namespace

std::string HttpResponse::header(const std::string& lower_name) const {
  const auto found = headers.find(lower_name);
  return found == headers.end() ? "" : found->second;
}

HttpResponse http_request(int port, const HttpRequest& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
  }
  std::string text = request.method + " " + request.path + " HTTP/1.1\r\n";
  bool has_host = false;
  for (const auto& [name, value] : request.headers) {
    if (lower(name) == "host") has_host = true;
    text += name + ": " + value + "\r\n";
  }
  if (!has_host) text += "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
  text += "Content-Length: " + std::to_string(request.body.size()) + "\r\n\r\n" + request.body;
  for (std::size_t sent = 0; sent < text.size();) {
    const ssize_t n = ::send(fd, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // a server that refused early may close before it has all
    sent += static_cast<std::size_t>(n);
  }

  HttpResponse response;
  std::string raw;     // as received
  std::string body;    // decoded so far
  std::string events;  // decoded, not yet parsed into events
  std::size_t body_start = std::string::npos;
  bool chunked = false, sse = false;
  std::optional<std::size_t> length;
  const auto deadline = Clock::now() + request.timeout;
  bool complete = false;
  while (!complete && Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char chunk[16384];
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) break;
    raw.append(chunk, static_cast<std::size_t>(n));
    if (body_start == std::string::npos) {
      const auto head_end = raw.find("\r\n\r\n");
      if (head_end == std::string::npos) continue;
      const std::string head = raw.substr(0, head_end);
      response.status = std::stoi(head.substr(9, 3));
      std::size_t line = head.find("\r\n");
      while (line != std::string::npos) {
        const std::size_t start = line + 2;
        line = head.find("\r\n", start);
        const std::string h =
            head.substr(start, line == std::string::npos ? std::string::npos : line - start);
        const auto colon = h.find(':');
        std::string value = h.substr(colon + 1);
        while (!value.empty() && value[0] == ' ') value.erase(0, 1);
        response.headers[lower(h.substr(0, colon))] = value;
      }
      chunked = lower(response.header("transfer-encoding")) == "chunked";
      sse = response.header("content-type").find("text/event-stream") != std::string::npos;
      if (!chunked && !response.header("content-length").empty())
        length = std::stoul(response.header("content-length"));
      body_start = head_end + 4;
      raw.erase(0, body_start);
    }
    // Decode what is complete.
    if (chunked) {
      while (true) {
        const auto size_end = raw.find("\r\n");
        if (size_end == std::string::npos) break;
        const std::size_t size = std::stoul(raw.substr(0, size_end), nullptr, 16);
        if (raw.size() < size_end + 2 + size + 2) break;
        const std::string piece = raw.substr(size_end + 2, size);
        raw.erase(0, size_end + 2 + size + 2);
        if (size == 0) {
          complete = true;
          break;
        }
        body += piece;
        events += piece;
      }
    } else {
      body += raw;
      events += raw;
      raw.clear();
      if (length && body.size() >= *length) complete = true;
    }
    if (sse) {
      take_events(events, response.events);
      if (request.stop_when && request.stop_when(response.events)) {
        response.hung_up = true;
        break;
      }
    }
  }
  ::close(fd);
  response.body = body;
  return response;
}

HttpMcpServer::HttpMcpServer(std::vector<std::string> extra_args,
                             std::vector<std::string> environment) {
  core::ProcessSpec spec;
  spec.argv = {PARHELIA_BINARY, "mcp", "--http", "127.0.0.1:0"};
  spec.argv.insert(spec.argv.end(), extra_args.begin(), extra_args.end());
  environment.push_back("PARHELIA_HOME=" + home_.path().string());
  environment.push_back("PARHELIA_LOG_LEVEL=error");
  spec.environment = core::environment_with(environment);
  spec.pipe_stdout = true;
  spec.pipe_stderr = true;
  auto started = core::ChildProcess::start(spec);
  if (!started) throw std::runtime_error(started.error().sentence());
  child_.emplace(std::move(started).value());
  // The first line on stdout is the URL, once it listens.
  std::string line;
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (line.find('\n') == std::string::npos && Clock::now() < deadline) {
    pollfd p{child_->stdout_fd(), POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char c;
    if (::read(child_->stdout_fd(), &c, 1) != 1) break;
    line += c;
  }
  const auto colon = line.rfind(':');
  if (line.find('\n') == std::string::npos || colon == std::string::npos)
    throw std::runtime_error("parhelia mcp --http printed no URL: " + line);
  url_ = line.substr(0, line.find('\n'));
  port_ = std::stoi(line.substr(colon + 1));
}

HttpMcpServer::~HttpMcpServer() {
  if (!child_) return;
  ::kill(child_->pid(), SIGTERM);
  child_->wait_for(std::chrono::seconds(5));
}

HttpResponse HttpMcpServer::post(const nlohmann::json& message, const std::string& session_id,
                                 std::vector<std::pair<std::string, std::string>> extra,
                                 const std::string& accept) {
  HttpRequest request;
  request.headers = {{"Content-Type", "application/json"}, {"Accept", accept}};
  if (!session_id.empty()) request.headers.emplace_back("Mcp-Session-Id", session_id);
  request.headers.insert(request.headers.end(), extra.begin(), extra.end());
  request.body = message.dump();
  return http_request(port_, request);
}

std::string HttpMcpServer::open_session(const std::string& version) {
  const auto answer = post({{"jsonrpc", "2.0"},
                            {"id", 1},
                            {"method", "initialize"},
                            {"params",
                             {{"protocolVersion", version},
                              {"capabilities", nlohmann::json::object()},
                              {"clientInfo", {{"name", "test"}, {"version", "1"}}}}}});
  const std::string id = answer.header("mcp-session-id");
  if (answer.status != 200 || id.empty())
    throw std::runtime_error("initialize over HTTP failed: " + std::to_string(answer.status));
  post({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}, id,
       {{"MCP-Protocol-Version", version}});
  return id;
}

}  // namespace parhelia::testing
