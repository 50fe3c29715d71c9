#include "tests/support/anthropic_api_standin.h"

#include <httplib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <set>

#include "core/base/environment.h"

namespace parhelia::testing {
namespace {

using nlohmann::json;

bool is_prompt(const json& message) {
  if (message.value("role", "") != "user") return false;
  const json& content = message.contains("content") ? message["content"] : json();
  if (!content.is_array()) return true;
  for (const json& block : content) {
    if (block.is_object() && block.value("type", "") == "tool_result") return false;
  }
  return true;
}

std::string sse(const std::string& event, const json& data) {
  return "event: " + event + "\ndata: " + data.dump() + "\n\n";
}

json usage_json(const ApiUsage& u) {
  return {{"input_tokens", u.input},
          {"output_tokens", u.output},
          {"cache_read_input_tokens", u.cache_read},
          {"cache_creation_input_tokens", u.cache_write}};
}

}  // namespace

int turn_of(const json& request) {
  const json messages = request.value("messages", json::array());
  if (!messages.is_array()) return 0;
  std::size_t last_prompt = 0;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (is_prompt(messages[i])) last_prompt = i;
  }
  int turns = 0;
  for (std::size_t i = last_prompt + 1; i < messages.size(); ++i) {
    if (messages[i].value("role", "") == "assistant") ++turns;
  }
  return turns;
}

bool is_side_call(const json& request) {
  return !request.contains("tools") || !request["tools"].is_array() || request["tools"].empty();
}

struct AnthropicApiStandIn::Server {
  Script script;
  httplib::Server http;
  std::thread thread;
  int port = 0;
  std::atomic<bool> stopping{false};
  std::atomic<int> next_id{0};

  mutable std::mutex mutex;
  mutable std::condition_variable changed;
  std::vector<ApiExchange> exchanges;
  std::set<std::string> cached_prefixes;  // prompt prefixes the cache holds

  std::size_t record(ApiExchange exchange) {
    std::lock_guard lock(mutex);
    exchanges.push_back(std::move(exchange));
    changed.notify_all();
    return exchanges.size() - 1;
  }

  void update(std::size_t index, const std::function<void(ApiExchange&)>& change) {
    std::lock_guard lock(mutex);
    change(exchanges[index]);
    changed.notify_all();
  }

  // The usage the API would bill for `request`: about four bytes a token, the system prompt
  // and tools cached after their first use.
  ApiUsage usage_for(const json& request, const std::string& body, const ScriptedReply& reply) {
    if (reply.usage) return *reply.usage;
    ApiUsage u;
    const std::int64_t prompt =
        std::max<std::int64_t>(1, static_cast<std::int64_t>(body.size()) / 4);
    const std::string prefix =
        request.value("system", json()).dump() + request.value("tools", json()).dump();
    const std::int64_t cacheable =
        std::min<std::int64_t>(prompt - 1, static_cast<std::int64_t>(prefix.size()) / 4);
    bool seen = false;
    {
      std::lock_guard lock(mutex);
      seen = !cached_prefixes.insert(prefix).second;
    }
    (seen ? u.cache_read : u.cache_write) = cacheable;
    u.input = prompt - cacheable;
    std::int64_t out = 1;
    for (const json& block : reply.content)
      out += static_cast<std::int64_t>(block.dump().size()) / 4;
    u.output = reply.output_tokens.value_or(out);
    return u;
  }

  void answer(const httplib::Request& req, httplib::Response& res) {
    json request = json::parse(req.body, nullptr, false);
    if (!request.is_object()) {
      res.status = 400;
      res.set_content(
          json{{"type", "error"},
               {"error", {{"type", "invalid_request_error"}, {"message", "body is not JSON"}}}}
              .dump(),
          "application/json");
      return;
    }
    ApiExchange exchange;
    exchange.path = req.path;
    exchange.request = request;
    for (const auto& [name, value] : req.headers) {
      std::string lower = name;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      exchange.headers[lower] = value;
    }
    exchange.side_call = is_side_call(request);
    exchange.model = request.value("model", "claude-sonnet-4-5");
    exchange.message_id =
        "msg_standin_" + std::to_string(getpid()) + "_" + std::to_string(++next_id);

    ScriptedReply reply =
        exchange.side_call
            ? ScriptedReply{{json{{"type", "text"}, {"text", R"({"title":"Scripted session"})"}}},
                            "end_turn"}
            : script(request);
    int tool_index = 0;
    for (json& block : reply.content) {
      if (block.value("type", "") == "tool_use" && !block.contains("id")) {
        block["id"] =
            "toolu_standin_" + std::to_string(next_id) + "_" + std::to_string(tool_index++);
      }
    }
    if (reply.stop_reason.empty()) {
      reply.stop_reason = "end_turn";
      for (const json& block : reply.content) {
        if (block.value("type", "") == "tool_use") reply.stop_reason = "tool_use";
      }
    }
    const ApiUsage final_usage = usage_for(request, req.body, reply);
    if (reply.delay.count() > 0) std::this_thread::sleep_for(reply.delay);

    if (!request.value("stream", false)) {
      exchange.reported = final_usage;
      exchange.finished = true;
      json whole = {{"id", exchange.message_id}, {"type", "message"},
                    {"role", "assistant"},       {"model", exchange.model},
                    {"content", reply.content},  {"stop_reason", reply.stop_reason},
                    {"stop_sequence", nullptr},  {"usage", usage_json(final_usage)}};
      record(std::move(exchange));
      res.set_content(whole.dump(), "application/json");
      return;
    }

    ApiUsage start = final_usage;
    start.output = 1;
    exchange.reported = start;
    const std::string id = exchange.message_id;
    const std::string model = exchange.model;
    const std::size_t index = record(std::move(exchange));
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, index, id, model, reply, start, final_usage](std::size_t, httplib::DataSink& sink) {
          auto send = [&](const std::string& event, const json& data) {
            const std::string text = sse(event, data);
            return sink.write(text.data(), text.size());
          };
          send("message_start", {{"type", "message_start"},
                                 {"message",
                                  {{"id", id},
                                   {"type", "message"},
                                   {"role", "assistant"},
                                   {"model", model},
                                   {"content", json::array()},
                                   {"stop_reason", nullptr},
                                   {"stop_sequence", nullptr},
                                   {"usage", usage_json(start)}}}});
          const std::size_t whole_blocks = reply.cut_off && !reply.content.empty()
                                               ? reply.content.size() - 1
                                               : reply.content.size();
          for (std::size_t i = 0; i < reply.content.size(); ++i) {
            const json& block = reply.content[i];
            const bool is_text = block.value("type", "") == "text";
            json opening = is_text ? json{{"type", "text"}, {"text", ""}}
                                   : json{{"type", "tool_use"},
                                          {"id", block.value("id", "")},
                                          {"name", block.value("name", "")},
                                          {"input", json::object()}};
            send("content_block_start",
                 {{"type", "content_block_start"}, {"index", i}, {"content_block", opening}});
            const std::string payload =
                is_text ? block.value("text", "") : block.value("input", json::object()).dump();
            for (std::size_t at = 0; at < payload.size() || at == 0; at += 64) {
              json delta = is_text ? json{{"type", "text_delta"}, {"text", payload.substr(at, 64)}}
                                   : json{{"type", "input_json_delta"},
                                          {"partial_json", payload.substr(at, 64)}};
              send("content_block_delta",
                   {{"type", "content_block_delta"}, {"index", i}, {"delta", delta}});
              if (payload.empty()) break;
            }
            if (i >= whole_blocks) break;
            send("content_block_stop", {{"type", "content_block_stop"}, {"index", i}});
          }
          if (reply.cut_off) {
            // A long response still being written: hold on until the client gives up.
            while (!stopping && sink.is_writable()) {
              std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
            return false;
          }
          send("message_delta",
               {{"type", "message_delta"},
                {"delta", {{"stop_reason", reply.stop_reason}, {"stop_sequence", nullptr}}},
                {"usage", {{"output_tokens", final_usage.output}}}});
          update(index, [&](ApiExchange& e) { e.reported.output = final_usage.output; });
          send("message_stop", {{"type", "message_stop"}});
          update(index, [](ApiExchange& e) { e.finished = true; });
          sink.done();
          return true;
        });
  }
};

AnthropicApiStandIn::AnthropicApiStandIn(Script script) : server_(std::make_unique<Server>()) {
  Server& s = *server_;
  s.script = std::move(script);
  s.http.Post("/v1/messages",
              [&s](const httplib::Request& req, httplib::Response& res) { s.answer(req, res); });
  s.http.Post("/v1/messages/count_tokens", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(json{{"input_tokens", std::max<std::size_t>(1, req.body.size() / 4)}}.dump(),
                    "application/json");
  });
  s.http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status != 404) return;
    res.set_content(
        json{{"type", "error"}, {"error", {{"type", "not_found_error"}, {"message", "Not found"}}}}
            .dump(),
        "application/json");
  });
  // Bound and listening here: a client that connects before the thread accepts just waits.
  s.port = s.http.bind_to_any_port("127.0.0.1");
  s.thread = std::thread([&s] { s.http.listen_after_bind(); });
}

AnthropicApiStandIn::~AnthropicApiStandIn() {
  server_->stopping = true;
  server_->http.stop();
  if (server_->thread.joinable()) server_->thread.join();
}

std::string AnthropicApiStandIn::base_url() const {
  return "http://127.0.0.1:" + std::to_string(server_->port);
}

std::vector<ApiExchange> AnthropicApiStandIn::exchanges() const {
  std::lock_guard lock(server_->mutex);
  return server_->exchanges;
}

bool AnthropicApiStandIn::wait_for_exchanges(std::size_t count,
                                             std::chrono::milliseconds timeout) const {
  std::unique_lock lock(server_->mutex);
  return server_->changed.wait_for(lock, timeout,
                                   [&] { return server_->exchanges.size() >= count; });
}

core::CapturedRun run_real_claude(const std::string& claude, const std::vector<std::string>& env,
                                  const std::filesystem::path& cwd,
                                  const std::vector<std::string>& args) {
  core::ProcessSpec spec;
  spec.argv = {claude};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.environment = core::environment_with(env);
  spec.working_directory = cwd.string();
  auto run = core::run_captured(spec, std::chrono::seconds(120));
  if (!run) return {-1, "", "could not run " + claude + ": " + run.error().message, false};
  return run.value();
}

std::string real_claude_binary() {
  namespace fs = std::filesystem;
  fs::path clients;
  if (const char* dir = std::getenv("PARHELIA_TEST_CLIENTS_DIR"); dir && *dir) {
    clients = dir;
  } else if (const char* cache = std::getenv("XDG_CACHE_HOME"); cache && *cache) {
    clients = fs::path(cache) / "parhelia/test-clients";
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    clients = fs::path(home) / ".cache/parhelia/test-clients";
  }
  const fs::path claude = clients / "node_modules/.bin/claude";
  if (clients.empty() || access(claude.c_str(), X_OK) != 0) return "";
  // Claude Code is a Node program: without node on PATH it cannot run.
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "";
  for (std::size_t at = 0; at <= dirs.size();) {
    const std::size_t end = std::min(dirs.find(':', at), dirs.size());
    const fs::path node = fs::path(dirs.substr(at, end - at)) / "node";
    if (access(node.c_str(), X_OK) == 0) return claude.string();
    at = end + 1;
  }
  return "";
}

ScriptedReply tool_call(const std::string& tool, json input,
                        std::optional<std::int64_t> output_tokens) {
  ScriptedReply reply;
  reply.content.push_back({{"type", "tool_use"}, {"name", tool}, {"input", std::move(input)}});
  reply.output_tokens = output_tokens;
  return reply;
}

ScriptedReply final_text(const std::string& text, std::optional<std::int64_t> output_tokens) {
  ScriptedReply reply;
  reply.content.push_back({{"type", "text"}, {"text", text}});
  reply.output_tokens = output_tokens;
  return reply;
}

AnthropicApiStandIn::Script in_turns(std::vector<ScriptedReply> replies) {
  return [replies = std::move(replies)](const json& request) {
    const auto turn = static_cast<std::size_t>(turn_of(request));
    return turn < replies.size() ? replies[turn] : final_text("Done.");
  };
}

}  // namespace parhelia::testing
