// The MCP methods over the registries: tools, resources, prompts and completion.
#include <spdlog/spdlog.h>

#include "server/mcp_server.h"

namespace parhelia::server {
namespace {

std::shared_ptr<const json> fresh(json items) {
  return std::make_shared<const json>(std::move(items));
}

}  // namespace

void McpServer::bind_tools() {
  bind_list(
      "tools/list", "tools",
      [this](const ProtocolVersion& version) { return toolset_.tools().list(version); },
      Listed::fixed);
  bind("tools/call", Dispatcher::Execution::on_pool, Phase::after_initialize,
       [this](const json& params, const RequestScope& scope) {
         CallContext context(scope, client_, *this);
         return toolset_.tools().call(params, context, client_.version(), alerts_);
       });
}

void McpServer::bind_resources() {
  using Execution = Dispatcher::Execution;
  bind_list("resources/list", "resources", [this](const ProtocolVersion& version) {
    return fresh(toolset_.resources().list(version));
  });
  bind_list("resources/templates/list", "resourceTemplates",
            [this](const ProtocolVersion& version) {
              return fresh(toolset_.resources().list_templates(version));
            });
  bind("resources/read", Execution::on_pool, Phase::after_initialize,
       [this](const json& params, const RequestScope&) -> RpcResult {
         if (!params.is_object() || !params.value("uri", json()).is_string()) {
           return RpcError{rpc_code::invalid_params,
                           "Invalid params: resources/read needs a \"uri\" string"};
         }
         return toolset_.resources().read(params["uri"].get<std::string>());
       });
  const auto subscription = [this](bool subscribe) {
    return [this, subscribe](const json& params, const RequestScope&) -> RpcResult {
      if (!params.is_object() || !params.value("uri", json()).is_string()) {
        return RpcError{rpc_code::invalid_params, "Invalid params: a \"uri\" string is needed"};
      }
      // Any URI may be subscribed to: a subscription asks to hear of changes, and what no
      // resource matches now may come (a session submitted later), or never changes and so is
      // never heard of. Only what is not a URI at all is refused.
      const std::string uri = params["uri"].get<std::string>();
      const auto colon = uri.find(':');
      if (colon == std::string::npos || colon == 0 || uri.size() > 4096 ||
          !std::isalpha(static_cast<unsigned char>(uri[0]))) {
        return RpcError{rpc_code::invalid_params,
                        "Invalid params: \"uri\" must be a URI such as parhelia://sessions/ID"};
      }
      if (subscribe) {
        if (!client_.subscribe(uri)) {
          return RpcError{rpc_code::invalid_params,
                          "Invalid params: this client already holds " +
                              std::to_string(ClientSession::kMaxSubscriptions) +
                              " subscriptions; unsubscribe from some first"};
        }
      } else {
        client_.unsubscribe(uri);
      }
      return json::object();
    };
  };
  bind("resources/subscribe", Execution::inline_on_reader, Phase::after_initialize,
       subscription(true));
  bind("resources/unsubscribe", Execution::inline_on_reader, Phase::after_initialize,
       subscription(false));
}

void McpServer::bind_prompts_and_completion() {
  using Execution = Dispatcher::Execution;
  bind_list("prompts/list", "prompts", [this](const ProtocolVersion& version) {
    return fresh(toolset_.prompts().list(version));
  });
  bind("prompts/get", Execution::on_pool, Phase::after_initialize,
       [this](const json& params, const RequestScope&) { return toolset_.prompts().get(params); });

  bind("completion/complete", Execution::on_pool, Phase::after_initialize,
       [this](const json& params, const RequestScope&) -> RpcResult {
         const json ref = params.is_object() ? params.value("ref", json()) : json();
         const json argument = params.is_object() ? params.value("argument", json()) : json();
         if (!ref.is_object() || !argument.is_object() ||
             !argument.value("name", json()).is_string() ||
             !argument.value("value", json()).is_string()) {
           return RpcError{
               rpc_code::invalid_params,
               "Invalid params: completion/complete needs \"ref\" and \"argument\" {name, value}"};
         }
         const json context_param = params.value("context", json::object());
         const json given =
             context_param.is_object() ? context_param.value("arguments", json::object()) : json();
         if (!given.is_object()) {
           return RpcError{rpc_code::invalid_params,
                           "Invalid params: completion/complete's \"context\" must be an object "
                           "{arguments: {name: value}}"};
         }
         CompletionContext context;
         for (const auto& [key, value] : given.items()) {
           if (value.is_string()) context[key] = value.get<std::string>();
         }
         const std::string name = argument["name"].get<std::string>();
         const std::string prefix = argument["value"].get<std::string>();
         const json ref_type = ref.value("type", json());
         const std::string type = ref_type.is_string() ? ref_type.get<std::string>() : "";
         std::optional<std::vector<std::string>> values;
         if (type == "ref/prompt" && ref.value("name", json()).is_string()) {
           values =
               toolset_.prompts().complete(ref["name"].get<std::string>(), name, prefix, context);
         } else if (type == "ref/resource" && ref.value("uri", json()).is_string()) {
           values =
               toolset_.resources().complete(ref["uri"].get<std::string>(), name, prefix, context);
         } else {
           return RpcError{rpc_code::invalid_params,
                           "Invalid params: ref must be {type: \"ref/prompt\", name} or {type: "
                           "\"ref/resource\", uri}"};
         }
         // Nothing to propose for an argument without a completer: an empty answer, not an error.
         return completion_result(values.value_or(std::vector<std::string>{}));
       });
}

}  // namespace parhelia::server
