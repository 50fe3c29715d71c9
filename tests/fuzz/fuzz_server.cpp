// Fuzz target: the JSON-RPC dispatcher and the MCP server, end to end in-process. The bytes
// are what a client writes on stdin; they go through the same framing and parser as in
// `parhelia mcp` into an McpServer with a typed tool, a prompt and a resource family of its
// own (the real tools need sessions). Every answer must be a JSON-RPC message, and no input
// may produce an internal error (-32603): bad input is -32700/-32600/-32601/-32602 or an
// isError tool result.
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "server/mcp_server.h"
#include "transport/line_splitter.h"
#include "transport/message_reader.h"
#include "transport/stdio_transport.h"

namespace {

using namespace parhelia::server;
using parhelia::transport::kDefaultMaxMessageBytes;

void require(bool condition) {
  if (!condition) std::abort();
}

// Keeps what the server sends; checks each message as it goes.
class CapturingTransport final : public parhelia::transport::Transport {
 public:
  bool send(const json& message) override {
    check(message);
    (void)message.dump(-1, ' ', false, json::error_handler_t::replace);
    std::lock_guard lock(mutex_);
    ++sent_;
    return true;
  }
  bool send_serialized(std::string json_text) override {
    return send(json::parse(json_text));  // a text that is not JSON aborts here
  }
  void run(parhelia::transport::MessageHandler&) override {}

 private:
  static void check_one(const json& message) {
    require(message.is_object());
    require(message.value("jsonrpc", json()) == "2.0");
    if (const auto error = message.find("error"); error != message.end()) {
      require(error->is_object());
      const json code = error->value("code", json());
      require(code.is_number_integer());
      require(code != rpc_code::internal_error);
      require(error->value("message", json()).is_string());
    }
  }
  static void check(const json& message) {
    if (message.is_array()) {
      require(!message.empty());
      for (const auto& item : message) check_one(item);
    } else {
      check_one(message);
    }
  }
  std::mutex mutex_;
  std::size_t sent_ = 0;
};

struct EchoArgs {
  std::string text;
  std::optional<std::int32_t> repeat;
  std::optional<std::vector<std::int64_t>> numbers;
  std::optional<std::map<std::string, std::string>> labels;
  std::optional<bool> fail;
  std::optional<json> anything;
  static auto fields() {
    return std::tuple{
        parhelia::schema::field("text", &EchoArgs::text, "Text to echo", {{"maxLength", 100}}),
        parhelia::schema::field("repeat", &EchoArgs::repeat, "How often",
                                {{"minimum", 0}, {"maximum", 5}}),
        parhelia::schema::field("numbers", &EchoArgs::numbers, "Numbers"),
        parhelia::schema::field("labels", &EchoArgs::labels, "Labels"),
        parhelia::schema::field("fail", &EchoArgs::fail, "Answer with a tool error"),
        parhelia::schema::field("anything", &EchoArgs::anything, "Any JSON at all")};
  }
};
struct EchoResult {
  std::string text;
  std::int64_t sum = 0;
  static auto fields() {
    return std::tuple{parhelia::schema::field("text", &EchoResult::text, "The echo"),
                      parhelia::schema::field("sum", &EchoResult::sum, "Sum of numbers")};
  }
};
std::string to_text(const EchoResult& result) {
  return result.text;
}

void fill(Toolset& toolset) {
  toolset.tools().add<EchoArgs, EchoResult>(
      {.name = "echo", .title = "Echo", .description = "Echoes its text", .read_only = true},
      [](const EchoArgs& args, CallContext& context) -> ToolOutcome<EchoResult> {
        if (args.fail.value_or(false)) return ToolError{"asked to fail"};
        context.progress(1, 2, "half");
        context.log(LogLevel::info, "echoing");
        EchoResult result;
        for (int i = 0; i < args.repeat.value_or(1); ++i) result.text += args.text;
        for (const auto n : args.numbers.value_or(std::vector<std::int64_t>{})) {
          result.sum = static_cast<std::int64_t>(static_cast<std::uint64_t>(result.sum) +
                                                 static_cast<std::uint64_t>(n));
        }
        if (args.anything) result.text += args.anything->dump();
        return result;
      });
  toolset.prompts().add(
      {.name = "greet",
       .title = "Greet",
       .description = "Greets someone",
       .arguments = {{.name = "who",
                      .description = "Whom",
                      .required = true,
                      .complete =
                          [](const std::string& prefix, const CompletionContext&) {
                            return starting_with({"alice", "bob"}, prefix);
                          }}}},
      [](const PromptRegistry::Arguments& arguments) -> std::variant<PromptMessages, std::string> {
        if (arguments.at("who").empty()) return std::string("who must not be empty");
        return PromptMessages{
            "a greeting",
            json::array({{{"role", "user"},
                          {"content",
                           {{"type", "text"}, {"text", "Say hello to " + arguments.at("who")}}}}})};
      });
  toolset.resources().add(
      {.uri_template = "fuzz://notes/{id}",
       .name = "note",
       .title = "Note",
       .description = "A note",
       .mime_type = "text/plain"},
      [] { return std::vector<ResourceInfo>{{.uri = "fuzz://notes/1", .name = "one"}}; },
      [](const UriVariables& variables) -> std::optional<ResourceContents> {
        if (variables.at("id") != "1") return std::nullopt;
        return ResourceContents{"note one"};
      },
      {{"id", [](const std::string& prefix, const CompletionContext&) {
          return starting_with({"1", "12"}, prefix);
        }}});
}

const char* const kInitialize[] = {
    R"({"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{"elicitation":{},"roots":{}},"clientInfo":{"name":"fuzz","version":"1"}}})",
    R"({"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"fuzz","version":"1"}}})",
    R"({"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2024-11-05","capabilities":{},"clientInfo":{"name":"fuzz","version":"1"}}})",
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Log lines are formatted (that code runs) and thrown away; stdout is libFuzzer's.
  auto logger =
      std::make_shared<spdlog::logger>("fuzz", std::make_shared<spdlog::sinks::null_sink_mt>());
  logger->set_level(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  CapturingTransport transport;
  {
    Toolset toolset;
    fill(toolset);
    McpServer server(transport, toolset,
                     {.identity = {.name = "fuzz", .title = "Fuzz", .version = "0"},
                      .page_size = 1 + std::size_t{data[0]} % 3,
                      .max_workers = 2});
    parhelia::transport::MessageReader reader(server, kDefaultMaxMessageBytes);
    parhelia::transport::LineSplitter splitter(kDefaultMaxMessageBytes);
    // The first byte: whether (and with which version) the client initialized first, since
    // most methods answer only after that.
    if (const std::size_t choice = data[0] / 3 % 4; choice < 3) {
      splitter.feed(std::string(kInitialize[choice]) + "\n", reader);
      splitter.feed(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"
                    "\n",
                    reader);
    }
    splitter.feed(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1), reader);
    splitter.finish(reader);
    require(server.shutdown(std::chrono::seconds(5), std::chrono::seconds(1)));
  }
  return 0;
}
