#include "server/mcp_server.h"

#include <malloc.h>
#include <spdlog/spdlog.h>

#include "server/pagination.h"

namespace parhelia::server {

McpServer::McpServer(transport::Transport& transport, Toolset& toolset, McpServerOptions options)
    : options_(std::move(options)),
      toolset_(toolset),
      alerts_(toolset.alert_source_for_new_client()),
      dispatcher_(transport, options_.max_workers, options_.quiet_after_progress) {
  dispatcher_.set_batch_policy(
      [this] { return client_.initialized() && client_.version().batching(); });
  bind_lifecycle();
  bind_tools();
  bind_resources();
  bind_prompts_and_completion();
  toolset_.attach(client_, *this);
}

McpServer::~McpServer() {
  toolset_.detach(client_);
}

void McpServer::on_message(json message) {
  dispatcher_.dispatch(message);
}

void McpServer::on_unreadable(transport::ReadFailure failure, const std::string& detail) {
  spdlog::warn("refused an unreadable message: {}", detail);
  if (failure == transport::ReadFailure::malformed_json) {
    dispatcher_.reject_unreadable({rpc_code::parse_error, "Parse error: " + detail});
  } else {
    dispatcher_.reject_unreadable({rpc_code::invalid_request, "Invalid Request: " + detail});
  }
}

void McpServer::notify(const std::string& method, json params) {
  dispatcher_.notify(method, std::move(params));
}

void McpServer::request(const std::string& method, json params,
                        std::function<void(const RpcResult&)> on_reply) {
  dispatcher_.call(method, std::move(params), std::move(on_reply));
}

bool McpServer::shutdown(std::chrono::milliseconds grace, std::chrono::milliseconds after_cancel) {
  return dispatcher_.shutdown(grace, after_cancel);
}

void McpServer::bind(const std::string& method, Dispatcher::Execution execution, Phase phase,
                     Dispatcher::RequestHandler handler) {
  if (phase == Phase::any) {
    dispatcher_.on_request(method, execution, std::move(handler));
    return;
  }
  dispatcher_.on_request(
      method, execution,
      [this, handler = std::move(handler)](const json& params, const RequestScope& scope) {
        if (!client_.initialized()) {
          return RpcResult(RpcError{rpc_code::invalid_request,
                                    "Invalid Request: the server is not initialized; "
                                    "send initialize first"});
        }
        return handler(params, scope);
      });
}

void McpServer::bind_list(const std::string& method, const char* key,
                          std::function<std::shared_ptr<const json>(const ProtocolVersion&)> items,
                          Listed listed) {
  bind(method, Dispatcher::Execution::inline_on_reader, Phase::after_initialize,
       [this, method, key, items = std::move(items), listed](const json& params,
                                                             const RequestScope&) -> RpcResult {
         if (listed == Listed::changing) {
           const auto all = items(client_.version());
           auto paged = paginate(params, all->size(), options_.page_size);
           if (auto* error = std::get_if<RpcError>(&paged)) return *error;
           return page_result(key, *all, std::get<Page>(paged));
         }
         // A page of a fixed list is the same text every time: written once, then sent as is
         // to every session that asks; the items themselves are made only to write a page and
         // not kept.
         const ProtocolVersion version = client_.version();
         const std::string list_key =
             method + " " + version.name() + " " + std::to_string(options_.page_size);
         return toolset_.with_fixed_list(list_key, [&](Toolset::FixedList& list) -> RpcResult {
           std::shared_ptr<const json> all;
           if (!list.size) {
             all = items(version);
             list.size = all->size();
           }
           auto paged = paginate(params, *list.size, options_.page_size);
           if (auto* error = std::get_if<RpcError>(&paged)) return *error;
           const Page& page = std::get<Page>(paged);
           auto& text = list.pages[page.begin];
           if (!text) {
             if (!all) all = items(version);
             text = std::make_shared<const std::string>(
                 transport::serialize(page_result(key, *all, page)));
             all.reset();
             // The hundreds of small blocks the items took go back to the system, not only to
             // the allocator: an idle server holds its lists as text alone.
             ::malloc_trim(0);
           }
           return SerializedResult{text};
         });
       });
}

void McpServer::bind_lifecycle() {
  using Execution = Dispatcher::Execution;
  bind("initialize", Execution::inline_on_reader, Phase::any,
       [this](const json& params, const RequestScope&) { return initialize(params); });
  bind("ping", Execution::inline_on_reader, Phase::any,
       [](const json&, const RequestScope&) -> RpcResult { return json::object(); });
  bind("logging/setLevel", Execution::inline_on_reader, Phase::after_initialize,
       [this](const json& params, const RequestScope&) -> RpcResult {
         const json name = params.is_object() ? params.value("level", json()) : json();
         const auto level =
             name.is_string() ? parse_log_level(name.get<std::string>()) : std::nullopt;
         if (!level) {
           return RpcError{
               rpc_code::invalid_params,
               "Invalid params: level must be one of debug, info, notice, warning, error, "
               "critical, alert, emergency"};
         }
         client_.set_log_level(*level);
         return json::object();
       });

  dispatcher_.on_notification("notifications/initialized", [this](const json&) {
    refresh_roots();
    if (options_.on_initialized) std::call_once(initialized_once_, options_.on_initialized);
  });
  dispatcher_.on_notification("notifications/roots/list_changed",
                              [this](const json&) { refresh_roots(); });
  dispatcher_.on_notification("notifications/cancelled", [this](const json& params) {
    if (params.is_object() && params.contains("requestId")) dispatcher_.cancel(params["requestId"]);
  });
}

RpcResult McpServer::initialize(const json& params) {
  if (!params.is_object() || !params.value("protocolVersion", json()).is_string()) {
    return RpcError{rpc_code::invalid_params,
                    "Invalid params: initialize needs \"protocolVersion\" (a string)"};
  }
  const json client_info = params.value("clientInfo", json::object());
  if (!client_info.is_object()) {
    return RpcError{
        rpc_code::invalid_params,
        "Invalid params: initialize's \"clientInfo\" must be an object {name, version}"};
  }
  const auto version = ProtocolVersion::negotiate(params["protocolVersion"].get<std::string>());
  if (!client_.begin(version, params.value("capabilities", json::object()), client_info)) {
    return RpcError{rpc_code::invalid_request,
                    "Invalid Request: initialize was already done in this session"};
  }
  const auto text_of = [&client_info](const char* key) {
    const json value = client_info.value(key, json());
    return value.is_string() ? value.get<std::string>() : std::string("?");
  };
  spdlog::info("client {} {} speaks MCP {}", text_of("name"), text_of("version"), version.name());
  json server_info = {{"name", options_.identity.name}, {"version", options_.identity.version}};
  if (version.structured_content()) server_info["title"] = options_.identity.title;
  if (version.implementation_description() && !options_.identity.description.empty())
    server_info["description"] = options_.identity.description;
  json result = {{"protocolVersion", version.name()},
                 {"capabilities", capabilities(version)},
                 {"serverInfo", std::move(server_info)}};
  if (!options_.identity.instructions.empty())
    result["instructions"] = options_.identity.instructions;
  return result;
}

json McpServer::capabilities(const ProtocolVersion& version) const {
  json capabilities = {{"logging", json::object()},
                       {"tools", {{"listChanged", false}}},
                       {"resources", {{"subscribe", true}, {"listChanged", false}}},
                       {"prompts", {{"listChanged", false}}}};
  if (version.completions_capability()) capabilities["completions"] = json::object();
  return capabilities;
}

void McpServer::refresh_roots() {
  if (!client_.supports("roots")) return;
  dispatcher_.call("roots/list", json::object(), [this](const RpcResult& reply) {
    const json* result = std::get_if<json>(&reply);
    if (result == nullptr || !result->contains("roots") || !(*result)["roots"].is_array()) {
      spdlog::debug("the client did not list its roots");
      return;
    }
    std::vector<std::string> uris;
    for (const auto& root : (*result)["roots"]) {
      if (root.is_object() && root.value("uri", json()).is_string())
        uris.push_back(root["uri"].get<std::string>());
    }
    spdlog::debug("client roots: {}", uris.size());
    client_.set_roots(std::move(uris));
  });
}

}  // namespace parhelia::server
