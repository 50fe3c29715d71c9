#include "server/tool_registry.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "server/json_schema.h"

namespace parhelia::server {
namespace {

// Rounds of shrinking before a result is sent as it is: each keeps a fraction sized from the
// overshoot, so two or three rounds usually do.
constexpr int kMaxShrinkRounds = 8;

json error_result(const std::string& message) {
  return {{"content", json::array({{{"type", "text"}, {"text", message}}})}, {"isError", true}};
}

// A result can carry what a session wrote, which need not be UTF-8: such bytes become U+FFFD.
std::string compact(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Older clients know only content: the data travels as JSON text after the summary.
std::string text_with_data(const ToolAnswer& answer) {
  return answer.text + "\n\n" +
         answer.structured.dump(2, ' ', false, json::error_handler_t::replace);
}

// What the model is shown of the answer, in bytes: the structured copy where the client takes
// it (Claude Code then drops the text), else the text with the data in it.
std::size_t model_bytes(const ToolAnswer& answer, bool structured) {
  return structured ? compact(answer.structured).size() : text_with_data(answer).size();
}

void add_alerts(ToolAnswer& answer, const std::vector<std::string>& alerts) {
  if (alerts.empty()) return;
  if (answer.structured.is_object()) answer.structured["alerts"] = alerts;
  for (const auto& alert : alerts) answer.text += "\n" + alert;
}

// At most `limit` bytes, never ending inside a UTF-8 sequence.
std::string cut_text(std::string text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
  return text + "\n[cut here; the structured result has the rest]";
}

}  // namespace

json ToolRegistry::with_alerts(json output_schema) {
  output_schema["properties"]["alerts"] = {
      {"type", "array"},
      {"items", {{"type", "string"}}},
      {"description",
       "Budget alerts that concern this call (a limit's threshold crossed, a session near its "
       "cap), each a sentence; tell the user"}};
  return output_schema;
}

void ToolRegistry::add_entry(Entry entry) {
  const auto name_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  };
  const std::string& name = entry.spec.name;
  if (name.empty() || name.size() > 128 || !std::all_of(name.begin(), name.end(), name_char)) {
    throw std::logic_error("invalid tool name: " + entry.spec.name);
  }
  if (find(entry.spec.name) != nullptr)
    throw std::logic_error("duplicate tool: " + entry.spec.name);
  entries_.push_back(std::move(entry));
}

std::shared_ptr<const json> ToolRegistry::list(const ProtocolVersion& version) const {
  json items = json::array();
  for (const auto& entry : entries_) items.push_back(describe(entry, version));
  return std::make_shared<const json>(std::move(items));
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
               {"inputSchema", entry.schemas->input_for_listing()}};
  if (version.structured_content()) {
    tool["title"] = entry.spec.title;
    tool["outputSchema"] = entry.schemas->output();
  }
  if (version.tool_annotations()) {
    tool["annotations"] = {{"title", entry.spec.title},
                           {"readOnlyHint", entry.spec.read_only},
                           {"destructiveHint", entry.spec.destructive},
                           {"idempotentHint", entry.spec.idempotent},
                           {"openWorldHint", entry.spec.open_world}};
  }
  if (listing_meta_.is_object() && !listing_meta_.empty()) tool["_meta"] = listing_meta_;
  return tool;
}

RpcResult ToolRegistry::call(const json& params, CallContext& context,
                             const ProtocolVersion& version, const AlertSource& alerts_for) const {
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
  if (auto violation = validate_against_schema(entry->schemas->input(), arguments)) {
    return error_result("Invalid arguments for " + entry->spec.name + ": " + *violation + ".");
  }

  ToolOutput output = entry->invoke(arguments, context);
  const std::vector<std::string> alerts =
      alerts_for ? alerts_for(entry->spec.name, arguments) : std::vector<std::string>{};
  ToolAnswer answer = output.render();
  if (answer.is_error) {
    for (const auto& alert : alerts) answer.text += "\n" + alert;
    return error_result(answer.text);
  }
  add_alerts(answer, alerts);

  // A result over what the model is shown whole gets smaller (fewer items, a shorter piece),
  // saying where the rest is; a limit the schema allows never fails the call.
  const bool structured = version.structured_content();
  for (int round = 0; round < kMaxShrinkRounds; ++round) {
    const std::size_t size = model_bytes(answer, structured);
    if (size <= kMaxModelBytes) break;
    const double keep = 0.9 * static_cast<double>(kMaxModelBytes) / static_cast<double>(size);
    if (!output.shrink || !output.shrink(keep)) {
      spdlog::warn("the {} result is {} bytes, over the {} a model is shown whole",
                   entry->spec.name, size, kMaxModelBytes);
      break;
    }
    answer = output.render();
    add_alerts(answer, alerts);
  }

  json result = json::object();
  std::string text;
  if (structured) {
    result["structuredContent"] = answer.structured;
    // The text is for clients that show it instead; it is bounded on its own, not added to
    // what the model is shown.
    text = cut_text(answer.text, kMaxModelBytes);
  } else {
    text = text_with_data(answer);
  }
  result["content"] = json::array({{{"type", "text"}, {"text", text}}});
  result["isError"] = false;
  return result;
}

}  // namespace parhelia::server
