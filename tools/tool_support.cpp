#include "tools/tool_support.h"

#include <filesystem>

#include "core/views/cost_view.h"

namespace parhelia::tools {
namespace {

std::string percent_decode(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

schema::json timeout_range() {
  return {{"minimum", 1}, {"maximum", 86400}};
}

schema::json cpu_range() {
  return {{"minimum", 0.125}, {"maximum", 64}};
}

schema::json memory_range() {
  return {{"minimum", 0.125}, {"maximum", 1024}};
}

schema::json dollar_range() {
  return {{"minimum", 0}, {"maximum", 1000000}};
}

server::ResourceLink log_link(const std::string& id) {
  return {log_uri(id), id + " log", "The session's output as it runs", "text/plain"};
}

server::ToolError tool_error(const core::Error& error) {
  return {error.sentence()};
}

std::string default_workspace(const server::ClientSession& client) {
  for (const auto& root : client.roots()) {
    if (root.rfind("file://", 0) == 0) return percent_decode(root.substr(7));
  }
  return std::filesystem::current_path().string();
}

void ResourceArgs::apply(core::SubmitRequest& request) const {
  if (gpu) request.gpu = *gpu;
  if (timeout_s) request.timeout_s = *timeout_s;
  if (cpu) request.cpu_milli = core::milli_of(*cpu);
  if (memory_gib) request.memory_milli_gib = core::milli_of(*memory_gib);
  if (max_cost_usd) request.max_cost = core::micros_from_dollars(*max_cost_usd);
}

void ResourceArgs::apply(core::ResumeRequest& request) const {
  request.gpu = gpu;
  request.timeout_s = timeout_s;
  if (cpu) request.cpu_milli = core::milli_of(*cpu);
  if (memory_gib) request.memory_milli_gib = core::milli_of(*memory_gib);
  if (max_cost_usd) request.max_cost = core::micros_from_dollars(*max_cost_usd);
}

std::optional<server::ToolError> confirmation_refused(core::SessionService& service,
                                                      const core::CostEstimate& estimate,
                                                      bool confirmed, server::CallContext& context,
                                                      const std::string& tool) {
  if (confirmed) return std::nullopt;
  auto above = service.confirmation_above(estimate);
  if (!above) return tool_error(above.error());
  if (!above.value()) return std::nullopt;
  const std::string cost = estimate_sentence(estimate);
  if (!context.can_elicit()) {
    return server::ToolError{unconfirmed(estimate, *above.value()) +
                             ", so the user must agree first. Ask them, then call " + tool +
                             " again with confirm: true."};
  }
  const schema::json form = {
      {"type", "object"},
      {"properties", {{"start", {{"type", "boolean"}, {"title", "Start it"}, {"default", true}}}}},
      {"required", {"start"}}};
  auto answer =
      context.elicit("Parhelia: start this session? " + cost, form, std::chrono::minutes(10));
  if (const auto* failure = std::get_if<std::string>(&answer)) {
    return server::ToolError{"Not submitted: " + *failure + " " + cost +
                             " Ask the user, then call " + tool + " again with confirm: true."};
  }
  const auto& reply = std::get<server::Elicitation>(answer);
  if (reply.accepted() && reply.content.value("start", true)) return std::nullopt;
  return server::ToolError{"Not submitted: the user declined (" + cost +
                           ") Change the request (a shorter timeout, a smaller GPU, "
                           "max_cost_usd) or leave it."};
}

server::Completer session_ids(core::SessionService& service) {
  return [&service](const std::string& prefix, const server::CompletionContext&) {
    return service.ids_starting_with(prefix, 100).value_or({});
  };
}

}  // namespace parhelia::tools
