#include "server/prompt_registry.h"

namespace parhelia::server {

void PromptRegistry::add(PromptSpec spec, Handler handler) {
  entries_.push_back({std::move(spec), std::move(handler)});
}

const PromptRegistry::Entry* PromptRegistry::find(const std::string& name) const {
  for (const auto& entry : entries_) {
    if (entry.spec.name == name) return &entry;
  }
  return nullptr;
}

json PromptRegistry::list(const ProtocolVersion& version) const {
  json items = json::array();
  for (const auto& entry : entries_) {
    json arguments = json::array();
    for (const auto& argument : entry.spec.arguments) {
      arguments.push_back({{"name", argument.name},
                           {"description", argument.description},
                           {"required", argument.required}});
    }
    json item = {{"name", entry.spec.name},
                 {"description", entry.spec.description},
                 {"arguments", arguments}};
    if (version.structured_content()) item["title"] = entry.spec.title;
    items.push_back(std::move(item));
  }
  return items;
}

RpcResult PromptRegistry::get(const json& params) const {
  const json name = params.is_object() ? params.value("name", json()) : json();
  if (!name.is_string()) {
    return RpcError{rpc_code::invalid_params,
                    "Invalid params: prompts/get needs the prompt's \"name\""};
  }
  const Entry* entry = find(name.get<std::string>());
  if (entry == nullptr) {
    return RpcError{rpc_code::invalid_params, "Unknown prompt: " + name.get<std::string>() +
                                                  "; prompts/list names the prompts there are"};
  }
  Arguments arguments;
  const json given = params.value("arguments", json::object());
  if (!given.is_object()) {
    return RpcError{rpc_code::invalid_params,
                    "Invalid params: prompt arguments must be an object of strings"};
  }
  for (const auto& [key, value] : given.items()) {
    if (!value.is_string()) {
      return RpcError{rpc_code::invalid_params,
                      "Invalid params: prompt argument '" + key + "' must be a string"};
    }
    arguments[key] = value.get<std::string>();
  }
  for (const auto& argument : entry->spec.arguments) {
    if (argument.required && arguments.count(argument.name) == 0) {
      return RpcError{rpc_code::invalid_params, "Invalid params: the " + entry->spec.name +
                                                    " prompt needs the argument '" + argument.name +
                                                    "'"};
    }
  }
  auto outcome = entry->handler(arguments);
  if (auto* problem = std::get_if<std::string>(&outcome)) {
    return RpcError{rpc_code::invalid_params, "Invalid params: " + *problem};
  }
  auto& messages = std::get<PromptMessages>(outcome);
  return json{{"description", messages.description}, {"messages", std::move(messages.messages)}};
}

std::optional<std::vector<std::string>> PromptRegistry::complete(
    const std::string& prompt, const std::string& argument, const std::string& prefix,
    const CompletionContext& context) const {
  const Entry* entry = find(prompt);
  if (entry == nullptr) return std::nullopt;
  for (const auto& spec : entry->spec.arguments) {
    if (spec.name == argument && spec.complete) return spec.complete(prefix, context);
  }
  return std::nullopt;
}

}  // namespace parhelia::server
