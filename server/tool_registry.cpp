#include "server/tool_registry.h"

#include <regex>
#include <stdexcept>

#include "server/json_schema.h"

namespace parhelia::server {
namespace {

// Claude Code refuses tool output over ~25,000 tokens; a result this large is a tool's bug
// (it should page), so it is refused here with a sentence rather than sent.
constexpr std::size_t kMaxResultBytes = 60 * 1024;

json error_result(const std::string& message) {
  return {{"content", json::array({{{"type", "text"}, {"text", message}}})}, {"isError", true}};
}

}  // namespace

void ToolRegistry::add_entry(Entry entry) {
  static const std::regex valid_name("^[A-Za-z0-9_.-]{1,128}$");
  if (!std::regex_match(entry.spec.name, valid_name)) {
    throw std::logic_error("invalid tool name: " + entry.spec.name);
  }
  if (find(entry.spec.name) != nullptr)
    throw std::logic_error("duplicate tool: " + entry.spec.name);
  entries_.push_back(std::move(entry));
  std::lock_guard lock(lists_mutex_);
  lists_.clear();
}

std::shared_ptr<const json> ToolRegistry::list(const ProtocolVersion& version) const {
  std::lock_guard lock(lists_mutex_);
  auto& cached = lists_[version.name()];
  if (!cached) {
    json items = json::array();
    for (const auto& entry : entries_) items.push_back(describe(entry, version));
    cached = std::make_shared<const json>(std::move(items));
  }
  return cached;
}

const ToolRegistry::Entry* ToolRegistry::find(const std::string& name) const {
  for (const auto& entry : entries_) {
    if (entry.spec.name == name) return &entry;
  }
  return nullptr;
}

json ToolRegistry::describe(const Entry& entry, const ProtocolVersion& version) const {
  json tool = {{"name", entry.spec.name},
               {"description", entry.spec.description},
               {"inputSchema", entry.input_schema}};
  if (version.structured_content()) {
    tool["title"] = entry.spec.title;
    tool["outputSchema"] = entry.output_schema;
  }
  if (version.tool_annotations()) {
    tool["annotations"] = {{"title", entry.spec.title},
                           {"readOnlyHint", entry.spec.read_only},
                           {"destructiveHint", entry.spec.destructive},
                           {"idempotentHint", entry.spec.idempotent},
                           {"openWorldHint", entry.spec.open_world}};
  }
  return tool;
}

RpcResult ToolRegistry::call(const json& params, CallContext& context,
                             const ProtocolVersion& version) const {
  const json name = params.is_object() ? params.value("name", json()) : json();
  if (!name.is_string()) {
    return RpcError{rpc_code::invalid_params,
                    "Invalid params: tools/call needs the tool's \"name\""};
  }
  const Entry* entry = find(name.get<std::string>());
  if (entry == nullptr) {
    return RpcError{rpc_code::invalid_params, "Unknown tool: " + name.get<std::string>() +
                                                  "; tools/list names the tools there are"};
  }
  const json arguments = params.value("arguments", json::object());
  if (auto violation = validate_against_schema(entry->input_schema, arguments)) {
    return error_result("Invalid arguments for " + entry->spec.name + ": " + *violation + ".");
  }

  ToolAnswer answer = entry->invoke(arguments, context);
  if (answer.is_error) return error_result(answer.text);

  json result = json::object();
  std::string text = answer.text;
  if (version.structured_content()) {
    result["structuredContent"] = answer.structured;
  } else {
    // Older clients know only content: the data travels as JSON text after the summary.
    // A result can carry what a session wrote, which need not be UTF-8: such bytes become U+FFFD.
    text += "\n\n" + answer.structured.dump(2, ' ', false, json::error_handler_t::replace);
  }
  result["content"] = json::array({{{"type", "text"}, {"text", text}}});
  result["isError"] = false;
  if (const std::size_t size = result.dump(-1, ' ', false, json::error_handler_t::replace).size();
      size > kMaxResultBytes) {
    return error_result("The " + entry->spec.name + " result was " + std::to_string(size) +
                        " bytes, over the " + std::to_string(kMaxResultBytes) +
                        "-byte limit; ask for less (a smaller page or a tail).");
  }
  return result;
}

}  // namespace parhelia::server
