#include "transport/streamable_http.h"

#include <spdlog/spdlog.h>
#include <sys/random.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <optional>
#include <set>

#include "transport/bounded_json.h"

namespace parhelia::transport {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// Events of a stream nobody reads are kept for a client that resumes it, up to these.
constexpr std::size_t kMaxEventsKept = 1000;
constexpr std::size_t kServerStreamEventsKept = 64;  // delivered events the GET stream keeps
constexpr auto kFinishedStreamKept = std::chrono::minutes(5);
constexpr auto kKeepAliveComment = std::chrono::seconds(15);
constexpr auto kPumpTick = std::chrono::milliseconds(250);

std::string lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

bool mentions(const std::optional<std::string>& header, std::string_view what) {
  return header && lowercase(*header).find(what) != std::string::npos;
}

std::string random_session_id() {
  unsigned char bytes[16];
  if (::getrandom(bytes, sizeof bytes, 0) != sizeof bytes) {
    throw std::runtime_error("no randomness for a session id");
  }
  static const char* hex = "0123456789abcdef";
  std::string id;
  for (unsigned char b : bytes) {
    id += hex[b >> 4];
    id += hex[b & 15];
  }
  return id;
}

std::string id_key(const json& id) {
  return serialize(id);
}

// The id of an answer the dispatcher wrote as text: its keys are sorted, so a result starts
// with its id. Anything else is parsed.
std::optional<std::string> answer_id_of_text(const std::string& text) {
  constexpr std::string_view prefix = "{\"id\":";
  if (text.compare(0, prefix.size(), prefix) == 0 && text.size() > prefix.size()) {
    std::size_t end = prefix.size();
    if (text[end] == '"') {
      for (++end; end < text.size() && text[end] != '"'; ++end)
        if (text[end] == '\\') ++end;
      ++end;
    } else {
      end = text.find(',', end);
    }
    if (end != std::string::npos && end <= text.size())
      return text.substr(prefix.size(), end - prefix.size());
  }
  const json message = json::parse(text, nullptr, false);
  if (message.is_object() && message.contains("id") && !message.contains("method"))
    return id_key(message["id"]);
  return std::nullopt;
}

// Where a host name (of a Host header or an Origin) points.
std::string host_name_of(std::string_view authority) {
  if (authority.starts_with("[")) {
    const auto close = authority.find(']');
    return lowercase(std::string(
        authority.substr(0, close == std::string_view::npos ? authority.size() : close + 1)));
  }
  return lowercase(std::string(authority.substr(0, authority.find(':'))));
}

bool loopback_name(const std::string& name) {
  return name == "localhost" || name == "127.0.0.1" || name == "[::1]";
}

bool same_secret(const std::string& given, const std::string& wanted) {
  // Time that does not depend on where the two first differ.
  unsigned char differ = given.size() == wanted.size() ? 0 : 1;
  for (std::size_t i = 0; i < given.size(); ++i)
    differ |=
        static_cast<unsigned char>(given[i] ^ wanted[i % std::max<std::size_t>(1, wanted.size())]);
  return differ == 0;
}

http::Headers json_headers() {
  return {{"Content-Type", "application/json"}};
}

void reply_error(http::ResponseWriter& writer, int status, int code, const std::string& message,
                 http::Headers headers = json_headers()) {
  const json body = {
      {"jsonrpc", "2.0"}, {"id", nullptr}, {"error", {{"code", code}, {"message", message}}}};
  writer.send(status, headers, serialize(body));
}

}  // namespace

// One SSE stream: a POST's answers (and what goes with them), or the server's own (number 0,
// the GET stream). Its events outlive a client that drops it, so that the client can resume.
struct StreamableHttpServer::Stream {
  std::uint64_t number = 0;
  bool json_mode = false;  // the client wants one JSON answer, not a stream
  std::deque<std::pair<std::uint64_t, std::string>> events;
  std::vector<std::string> answers;  // json_mode: the answers, as text
  bool failed_answer = false;        // an answer was an error (the first an initialize has)
  std::uint64_t next_seq = 1;
  std::uint64_t delivered = 0;    // the last event written to a reader
  std::size_t awaiting = 0;       // its requests not yet answered
  bool finished = false;          // every answer is in, or the session ended
  bool reader = false;            // a client reads it now
  std::uint64_t reader_turn = 0;  // which reader: a resuming client takes a stream over
  Clock::time_point detached_at{};

  void add_event(std::string text, std::size_t keep) {
    events.emplace_back(next_seq++, std::move(text));
    while (events.size() > keep) events.pop_front();
  }
};

// One MCP session: the Transport its handler serves, fed by POSTs and read through streams.
class StreamableHttpServer::Session final : public Transport {
 public:
  explicit Session(std::string id) : id(std::move(id)) {
    auto server_stream = std::make_shared<Stream>();
    streams[0] = server_stream;
    last_used = Clock::now();
  }
  ~Session() override {
    if (thread.joinable()) thread.join();
  }

  void start(std::unique_ptr<MessageHandler> handler) {
    thread = std::thread([this, handler = std::move(handler)]() mutable {
      run(*handler);
      handler.reset();  // the MCP server shuts down here, off the HTTP threads
    });
  }

  // Transport: what the handler sends.
  bool send(const json& message) override {
    std::vector<std::string> answer_ids;
    std::optional<std::string> progress;
    const auto answer_of = [](const json& m) {
      return m.is_object() && m.contains("id") && !m.contains("method");
    };
    if (message.is_array()) {
      for (const auto& m : message)
        if (answer_of(m)) answer_ids.push_back(id_key(m["id"]));
    } else if (answer_of(message)) {
      answer_ids.push_back(id_key(message["id"]));
    } else if (message.value("method", "") == "notifications/progress" &&
               message.contains("params") && message["params"].is_object() &&
               message["params"].contains("progressToken")) {
      progress = id_key(message["params"]["progressToken"]);
    }
    return route(answer_ids, progress, serialize(message));
  }
  bool send_serialized(std::string text) override {
    std::vector<std::string> ids;
    if (auto id = answer_id_of_text(text)) ids.push_back(*id);
    return route(ids, std::nullopt, std::move(text));
  }
  void run(MessageHandler& handler) override {
    std::unique_lock lock(mutex);
    while (true) {
      changed.wait(lock, [this] { return ended || !inbound.empty(); });
      if (inbound.empty()) return;
      json message = std::move(inbound.front());
      inbound.pop_front();
      lock.unlock();
      handler.on_message(std::move(message));
      lock.lock();
    }
  }

  void deliver(std::vector<json> messages) {
    std::lock_guard lock(mutex);
    for (auto& m : messages) inbound.push_back(std::move(m));
    changed.notify_all();
  }

  void end() {
    std::lock_guard lock(mutex);
    ended = true;
    inbound.clear();
    for (auto& [number, stream] : streams) stream->finished = true;
    changed.notify_all();
  }

  bool idle_since(Clock::time_point before) {
    std::lock_guard lock(mutex);
    if (!pending.empty() || last_used > before) return false;
    return std::none_of(streams.begin(), streams.end(),
                        [](const auto& entry) { return entry.second->reader; });
  }

  void drop_old_streams(Clock::time_point now) {
    std::lock_guard lock(mutex);
    std::erase_if(streams, [&](const auto& entry) {
      const Stream& s = *entry.second;
      return entry.first != 0 && s.finished && !s.reader &&
             now - s.detached_at > kFinishedStreamKept;
    });
  }

  // A stream that is gone takes its requests' routes with it. Holds `mutex`.
  void forget_stream(std::uint64_t number) {
    streams.erase(number);
    std::erase_if(pending, [&](const auto& entry) { return entry.second == number; });
    std::erase_if(progress_tokens, [&](const auto& entry) { return entry.second == number; });
  }

  // A cancelled request gets no answer (MCP): its stream no longer waits for one.
  void forget_cancelled(const std::vector<json>& messages) {
    std::lock_guard lock(mutex);
    for (const auto& m : messages) {
      if (m.value("method", "") != "notifications/cancelled" || !m.contains("params") ||
          !m["params"].is_object() || !m["params"].contains("requestId"))
        continue;
      const auto found = pending.find(id_key(m["params"]["requestId"]));
      if (found == pending.end()) continue;
      const auto stream = streams.find(found->second);
      pending.erase(found);
      if (stream == streams.end()) continue;
      if (stream->second->awaiting > 0 && --stream->second->awaiting == 0)
        stream->second->finished = true;
    }
    changed.notify_all();
  }

  const std::string id;
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<json> inbound;
  std::map<std::uint64_t, std::shared_ptr<Stream>> streams;
  std::map<std::string, std::uint64_t> pending;          // request id → its stream
  std::map<std::string, std::uint64_t> progress_tokens;  // progress token → its stream
  std::uint64_t next_stream = 1;
  bool ended = false;
  Clock::time_point last_used;
  std::thread thread;

 private:
  bool route(const std::vector<std::string>& answer_ids, const std::optional<std::string>& progress,
             std::string text) {
    std::lock_guard lock(mutex);
    if (ended) return false;
    std::shared_ptr<Stream> target;
    if (!answer_ids.empty()) {
      const auto found = pending.find(answer_ids.front());
      if (found == pending.end()) return true;  // cancelled, or its stream is gone
      const auto stream = streams.find(found->second);
      if (stream == streams.end()) {
        pending.erase(found);
        return true;
      }
      target = stream->second;
      for (const auto& id : answer_ids) {
        const auto it = pending.find(id);
        if (it == pending.end() || it->second != target->number) continue;
        pending.erase(it);
        if (target->awaiting > 0) --target->awaiting;
      }
      // Keys are sorted as written: an error answer starts with its error.
      if (text.starts_with("{\"error\"")) target->failed_answer = true;
      if (target->json_mode) {
        target->answers.push_back(std::move(text));
      } else {
        target->add_event(std::move(text), kMaxEventsKept);
      }
      if (target->awaiting == 0) {
        target->finished = true;
        std::erase_if(progress_tokens,
                      [&](const auto& entry) { return entry.second == target->number; });
      }
    } else if (progress) {
      const auto found = progress_tokens.find(*progress);
      if (found == progress_tokens.end()) return true;
      const auto stream = streams.find(found->second);
      if (stream == streams.end()) return true;
      target = stream->second;
      if (target->json_mode || target->finished) return true;  // a JSON answer has no room
      target->add_event(std::move(text), kMaxEventsKept);
    } else {
      // A notification or a request of the server's own: on the GET stream when a client reads
      // it, else on a POST stream being read, else kept for the GET stream to come.
      target = streams[0];
      if (!target->reader) {
        for (auto it = streams.rbegin(); it != streams.rend(); ++it) {
          const Stream& s = *it->second;
          if (it->first != 0 && s.reader && !s.json_mode && !s.finished) {
            target = it->second;
            break;
          }
        }
      }
      target->add_event(std::move(text), target->number == 0 && !target->reader
                                             ? kServerStreamEventsKept * 4
                                             : kMaxEventsKept);
    }
    changed.notify_all();
    return true;
  }
};

StreamableHttpServer::StreamableHttpServer(StreamableHttpOptions options, SessionFactory factory)
    : options_(std::move(options)), factory_(std::move(factory)), http_(options_.limits) {}

StreamableHttpServer::~StreamableHttpServer() = default;

bool StreamableHttpServer::listen(std::string& error) {
  // Without a token, only this machine may connect: a server anyone on the network can drive
  // would run their commands.
  return http_.listen(options_.host, options_.port, options_.bearer_token.empty(), error);
}

std::string StreamableHttpServer::url() const {
  std::string host = options_.host;
  if (host.find(':') != std::string::npos && !host.starts_with("[")) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(http_.port()) + options_.path;
}

void StreamableHttpServer::run() {
  janitor_ = std::jthread([this](std::stop_token stop) {
    std::mutex sleep_mutex;
    std::condition_variable_any sleep;
    while (!stop.stop_requested()) {
      {
        std::unique_lock lock(sleep_mutex);
        sleep.wait_for(lock, stop, std::chrono::seconds(1), [] { return false; });
      }
      expire_idle_sessions();
    }
  });
  http_.run([this](const http::Request& request, http::ResponseWriter& writer) {
    handle(request, writer);
  });
  janitor_.request_stop();
  janitor_.join();
  std::vector<std::shared_ptr<Session>> all;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, session] : sessions_) all.push_back(session);
    sessions_.clear();
    for (auto& session : ended_) all.push_back(session);
    ended_.clear();
  }
  // Every session is told first, so that their servers shut down side by side.
  for (auto& session : all) session->end();
  for (auto& session : all)
    if (session->thread.joinable()) session->thread.join();
}

void StreamableHttpServer::expire_idle_sessions() {
  const auto now = Clock::now();
  std::vector<std::string> idle;
  std::vector<std::shared_ptr<Session>> to_join;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, session] : sessions_) {
      if (session->idle_since(now - options_.session_idle)) idle.push_back(id);
      session->drop_old_streams(now);
    }
  }
  for (const auto& id : idle) {
    spdlog::info("MCP session {}… unused for {} s; ended", id.substr(0, 8),
                 options_.session_idle.count());
    end_session(id);
  }
  {
    std::lock_guard lock(mutex_);
    to_join.swap(ended_);
  }
  for (auto& session : to_join)
    if (session->thread.joinable()) session->thread.join();
}

void StreamableHttpServer::end_session(const std::string& id) {
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(mutex_);
    const auto found = sessions_.find(id);
    if (found == sessions_.end()) return;
    session = found->second;
    sessions_.erase(found);
    ended_.push_back(session);
  }
  session->end();
}

bool StreamableHttpServer::take_stream_slot() {
  std::lock_guard lock(mutex_);
  if (open_streams_ >= options_.max_streams) return false;
  ++open_streams_;
  return true;
}

void StreamableHttpServer::give_stream_slot() {
  std::lock_guard lock(mutex_);
  --open_streams_;
}

void StreamableHttpServer::handle(const http::Request& request, http::ResponseWriter& writer) {
  if (request.path != options_.path) {
    writer.send(404, {{"Content-Type", "text/plain"}},
                "Not found: MCP is served at " + options_.path + "\n");
    return;
  }
  // DNS rebinding: a page elsewhere must not reach a server on this machine by naming it.
  const auto host = request.header("Host");
  if (!host) return reply_error(writer, 400, -32000, "Bad Request: no Host header");
  const std::string host_name = host_name_of(*host);
  if (http_.loopback() && !loopback_name(host_name)) {
    return reply_error(writer, 403, -32000,
                       "Forbidden: Host " + host_name +
                           " is not this machine; use http://127.0.0.1 or http://localhost");
  }
  if (const auto origin = request.header("Origin")) {
    const auto scheme_end = origin->find("://");
    const std::string origin_name =
        scheme_end == std::string::npos ? "" : host_name_of(origin->substr(scheme_end + 3));
    const bool allowed = http_.loopback() ? loopback_name(origin_name) : origin_name == host_name;
    if (!allowed) {
      return reply_error(writer, 403, -32000,
                         "Forbidden: requests from the origin " + *origin + " are refused");
    }
  }
  if (!options_.bearer_token.empty()) {
    const auto authorization = request.header("Authorization").value_or("");
    const bool bearer =
        authorization.size() > 7 && lowercase(authorization.substr(0, 7)) == "bearer ";
    if (!bearer || !same_secret(authorization.substr(7), options_.bearer_token)) {
      return reply_error(writer, 401, -32000,
                         "Unauthorized: send the server's token as Authorization: Bearer TOKEN",
                         {{"Content-Type", "application/json"}, {"WWW-Authenticate", "Bearer"}});
    }
  }
  if (const auto version = request.header("MCP-Protocol-Version")) {
    const auto& known = options_.protocol_versions;
    if (std::find(known.begin(), known.end(), *version) == known.end()) {
      std::string list;
      for (const auto& v : known) list += (list.empty() ? "" : ", ") + v;
      return reply_error(writer, 400, -32000,
                         "Bad Request: MCP-Protocol-Version " + *version +
                             " is not supported; supported: " + list);
    }
  }
  if (request.method == "POST") return post(request, writer);
  if (request.method == "GET") return get(request, writer);
  if (request.method == "DELETE") return remove(request, writer);
  writer.send(405, {{"Allow", "GET, POST, DELETE"}, {"Content-Type", "text/plain"}},
              "Method not allowed: MCP over HTTP uses POST, GET and DELETE\n");
}

std::shared_ptr<StreamableHttpServer::Session> StreamableHttpServer::session_of(
    const http::Request& request, http::ResponseWriter& writer) {
  const auto id = request.header("Mcp-Session-Id");
  if (!id) {
    reply_error(writer, 400, -32000,
                "Bad Request: no Mcp-Session-Id header; send initialize first and use the "
                "session id its answer carries");
    return nullptr;
  }
  std::lock_guard lock(mutex_);
  const auto found = sessions_.find(*id);
  if (found == sessions_.end()) {
    reply_error(writer, 404, -32001,
                "Session not found: it ended or expired; send initialize for a new one");
    return nullptr;
  }
  return found->second;
}

void StreamableHttpServer::post(const http::Request& request, http::ResponseWriter& writer) {
  if (!mentions(request.header("Content-Type"), "application/json")) {
    return reply_error(writer, 415, -32000,
                       "Unsupported Media Type: send JSON-RPC as Content-Type: application/json");
  }
  auto parsed = parse_bounded_json(request.body);
  if (auto* failure = std::get_if<JsonParseError>(&parsed)) {
    return reply_error(writer, 400, -32700, "Parse error: " + failure->describe());
  }
  json body = std::move(std::get<json>(parsed));
  std::vector<json> messages;
  if (body.is_array()) {
    for (auto& m : body) messages.push_back(std::move(m));
  } else {
    messages.push_back(std::move(body));
  }
  if (messages.empty()) return reply_error(writer, 400, -32600, "Invalid Request: an empty batch");
  std::vector<const json*> requests;
  bool initialize = false;
  for (const auto& m : messages) {
    if (!m.is_object()) {
      return reply_error(writer, 400, -32600, "Invalid Request: a message must be an object");
    }
    if (m.contains("method") && m.contains("id")) {
      requests.push_back(&m);
      if (m["method"] == "initialize") initialize = true;
      // A client of the stateless revision probes first; a plain 400 sends it to initialize.
      if (m["method"] == "server/discover") {
        return reply_error(writer, 400, -32601,
                           "Method not found: server/discover; this server starts sessions "
                           "with initialize");
      }
    }
  }

  const auto accept = request.header("Accept");
  const bool sse = mentions(accept, "text/event-stream");
  if (!requests.empty() && !sse && accept && !mentions(accept, "application/json") &&
      !mentions(accept, "*/*")) {
    return reply_error(writer, 406, -32000,
                       "Not Acceptable: accept application/json or text/event-stream");
  }
  std::set<std::string> ids;
  for (const json* r : requests) {
    if (!ids.insert(id_key((*r)["id"])).second) {
      return reply_error(
          writer, 400, -32600,
          "Invalid Request: two requests of the batch have the id " + id_key((*r)["id"]));
    }
  }

  std::shared_ptr<Session> session;
  bool new_session = false;
  if (initialize && !request.header("Mcp-Session-Id")) {
    if (messages.size() != 1) {
      return reply_error(writer, 400, -32600,
                         "Invalid Request: initialize must be sent alone, not in a batch");
    }
    const auto full = [&] {
      std::lock_guard lock(mutex_);
      return sessions_.size() >= options_.max_sessions || http_.stopping();
    };
    if (full()) {
      return reply_error(writer, 503, -32000,
                         "Service Unavailable: " + std::to_string(options_.max_sessions) +
                             " sessions are open; end one (DELETE) or wait for idle ones "
                             "to expire",
                         {{"Content-Type", "application/json"}, {"Retry-After", "5"}});
    }
    // Started before anyone else can see it, so that whoever ends it finds its thread.
    session = std::make_shared<Session>(random_session_id());
    session->start(factory_(*session));
    {
      std::lock_guard lock(mutex_);
      sessions_[session->id] = session;
    }
    new_session = true;
  } else {
    session = session_of(request, writer);
    if (!session) return;
  }
  session->forget_cancelled(messages);

  if (requests.empty()) {
    {
      std::lock_guard lock(session->mutex);
      session->last_used = Clock::now();
    }
    session->deliver(std::move(messages));
    writer.send(202, {}, "");
    return;
  }
  if (!take_stream_slot()) {
    if (new_session) end_session(session->id);
    return reply_error(writer, 503, -32000,
                       "Service Unavailable: too many requests are open at once; retry shortly",
                       {{"Content-Type", "application/json"}, {"Retry-After", "1"}});
  }
  auto stream = std::make_shared<Stream>();
  std::string running_id;
  std::unique_lock session_lock(session->mutex);
  session->last_used = Clock::now();
  for (const auto& id : ids)
    if (session->pending.count(id)) running_id = id;
  if (!running_id.empty()) {
    session_lock.unlock();
    give_stream_slot();
    if (new_session) end_session(session->id);
    return reply_error(
        writer, 400, -32600,
        "Invalid Request: a request with id " + running_id + " is still running in this session");
  }
  {
    stream->number = session->next_stream++;
    stream->json_mode = !sse;
    stream->awaiting = requests.size();
    stream->reader = true;
    for (const json* r : requests) {
      session->pending[id_key((*r)["id"])] = stream->number;
      const json& params = r->value("params", json::object());
      if (params.is_object() && params.contains("_meta") && params["_meta"].is_object() &&
          params["_meta"].contains("progressToken"))
        session->progress_tokens[id_key(params["_meta"]["progressToken"])] = stream->number;
    }
    session->streams[stream->number] = stream;
  }
  session_lock.unlock();
  // What version the stream speaks: the header on later requests, the one asked for on
  // initialize. The priming event (an id and no data) is from 2025-11-25 on.
  std::string version = request.header("MCP-Protocol-Version").value_or("2025-03-26");
  if (initialize) {
    const json& params = messages.front().value("params", json::object());
    if (params.is_object() && params.value("protocolVersion", json()).is_string())
      version = params["protocolVersion"].get<std::string>();
  }
  session->deliver(std::move(messages));

  http::Headers headers;
  if (new_session) headers.emplace_back("Mcp-Session-Id", session->id);
  if (!sse) {
    std::vector<std::string> answers;
    bool failed = false;
    {
      std::unique_lock lock(session->mutex);
      while (!stream->finished && !http_.stopping()) {
        session->changed.wait_for(lock, kPumpTick);
        if (stream->finished) break;
        lock.unlock();
        const bool gone = writer.peer_closed();
        lock.lock();
        if (gone) break;
      }
      answers = std::move(stream->answers);
      failed = stream->failed_answer;
      stream->reader = false;
      stream->finished = true;
      session->forget_stream(stream->number);
    }
    give_stream_slot();
    if (new_session && failed) {
      end_session(session->id);
      headers.clear();
    }
    if (answers.empty()) {
      reply_error(writer, 404, -32001, "Session ended before it answered");
      return;
    }
    headers.emplace_back("Content-Type", "application/json");
    std::string text;
    if (answers.size() == 1) {
      text = std::move(answers.front());
    } else {
      text = "[";
      for (std::size_t i = 0; i < answers.size(); ++i) text += (i ? "," : "") + answers[i];
      text += "]";
    }
    writer.send(200, headers, text);
    return;
  }
  headers.emplace_back("Content-Type", "text/event-stream");
  headers.emplace_back("Cache-Control", "no-cache");
  writer.start_stream(200, headers);
  if (version >= "2025-11-25")
    writer.chunk("id: " + std::to_string(stream->number) + "-0\nretry: 1000\ndata: \n\n");
  pump(*session, *stream, writer);
  give_stream_slot();
  // An initialize that failed leaves no session behind.
  bool failed = false;
  {
    std::lock_guard lock(session->mutex);
    failed = stream->failed_answer;
  }
  if (new_session && failed) end_session(session->id);
}

void StreamableHttpServer::pump(Session& session, Stream& stream, http::ResponseWriter& writer) {
  auto last_write = Clock::now();
  std::unique_lock lock(session.mutex);
  const std::uint64_t turn = stream.reader_turn;
  while (true) {
    if (stream.reader_turn != turn) return;  // another connection reads it now
    session.changed.wait_for(lock, kPumpTick, [&] {
      return stream.finished || http_.stopping() ||
             (!stream.events.empty() && stream.events.back().first > stream.delivered);
    });
    std::string text;
    std::uint64_t last = stream.delivered;
    for (const auto& [seq, data] : stream.events) {
      if (seq <= stream.delivered) continue;
      text += "id: " + std::to_string(stream.number) + "-" + std::to_string(seq) +
              "\nevent: message\ndata: " + data + "\n\n";
      last = seq;
    }
    // Read with the events, under the same lock: once finished, nothing more comes.
    const bool all_in = stream.finished || http_.stopping();
    lock.unlock();
    bool ok = !writer.peer_closed();
    const auto now = Clock::now();
    if (ok && !text.empty()) {
      ok = writer.chunk(text);
      last_write = now;
    } else if (ok && now - last_write > kKeepAliveComment) {
      ok = writer.chunk(": keep-alive\n\n");
      last_write = now;
    }
    lock.lock();
    if (stream.reader_turn != turn) return;
    if (!ok) {
      // Kept for the client to resume with Last-Event-ID.
      stream.reader = false;
      stream.detached_at = Clock::now();
      return;
    }
    stream.delivered = last;
    if (stream.number == 0) {
      while (stream.events.size() > kServerStreamEventsKept &&
             stream.events.front().first <= stream.delivered)
        stream.events.pop_front();
    }
    if (all_in) {
      stream.reader = false;
      if (stream.number != 0) session.forget_stream(stream.number);
      lock.unlock();
      writer.end_stream();
      return;
    }
  }
}

void StreamableHttpServer::get(const http::Request& request, http::ResponseWriter& writer) {
  auto session = session_of(request, writer);
  if (!session) return;
  if (!mentions(request.header("Accept"), "text/event-stream")) {
    return reply_error(writer, 406, -32000, "Not Acceptable: the GET stream is text/event-stream");
  }
  if (!take_stream_slot()) {
    return reply_error(writer, 503, -32000,
                       "Service Unavailable: too many streams are open; retry shortly",
                       {{"Content-Type", "application/json"}, {"Retry-After", "1"}});
  }
  // A Last-Event-ID names the stream to go on with (`N-SEQ`, as its events are numbered) and
  // the last event the client has; without one, the server's own stream (0).
  std::shared_ptr<Stream> stream;
  std::optional<std::uint64_t> resume_after;
  std::string refusal;
  int refusal_status = 0;
  {
    std::lock_guard lock(session->mutex);
    session->last_used = Clock::now();
    std::uint64_t number = 0;
    if (const auto last = request.header("Last-Event-ID")) {
      const auto dash = last->find('-');
      char* end = nullptr;
      number = std::strtoull(last->c_str(), &end, 10);
      if (dash == std::string::npos || end != last->c_str() + dash ||
          !session->streams.count(number)) {
        refusal_status = 404;
        refusal = "Not Found: no stream holds event " + *last + " any more";
      } else {
        resume_after = std::strtoull(last->c_str() + dash + 1, nullptr, 10);
      }
    }
    if (!refusal_status) {
      stream = session->streams[number];
      // A client that resumes has lost its connection, whether or not the server noticed.
      if (stream->reader && !resume_after) {
        refusal_status = 409;
        refusal = "Conflict: that stream is already open in this session";
      } else {
        stream->reader = true;
        ++stream->reader_turn;
        if (resume_after) stream->delivered = std::min(stream->delivered, *resume_after);
      }
    }
  }
  if (refusal_status) {
    give_stream_slot();
    return reply_error(writer, refusal_status, -32000, refusal);
  }
  writer.start_stream(200, {{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-cache"}});
  const auto version = request.header("MCP-Protocol-Version").value_or("2025-03-26");
  if (version >= "2025-11-25" && !resume_after) {
    std::uint64_t delivered = 0;
    {
      std::lock_guard lock(session->mutex);
      delivered = stream->delivered;
    }
    writer.chunk("id: " + std::to_string(stream->number) + "-" + std::to_string(delivered) +
                 "\nretry: 1000\ndata: \n\n");
  }
  pump(*session, *stream, writer);
  give_stream_slot();
}

void StreamableHttpServer::remove(const http::Request& request, http::ResponseWriter& writer) {
  auto session = session_of(request, writer);
  if (!session) return;
  end_session(session->id);
  writer.send(204, {}, "");
}

}  // namespace parhelia::transport
