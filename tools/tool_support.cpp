#include "tools/tool_support.h"

#include <cmath>
#include <filesystem>

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

server::ToolError tool_error(const core::Error& error) {
  return {error.sentence()};
}

std::string default_workspace(const server::ClientSession& client) {
  for (const auto& root : client.roots()) {
    if (root.rfind("file://", 0) == 0) return percent_decode(root.substr(7));
  }
  return std::filesystem::current_path().string();
}

void ask_for(core::SubmitRequest& request, std::optional<double> cpu,
             std::optional<double> memory_gib, std::optional<double> max_cost_usd) {
  if (cpu) request.cpu_milli = std::llround(*cpu * 1000);
  if (memory_gib) request.memory_milli_gib = std::llround(*memory_gib * 1000);
  if (max_cost_usd) request.max_cost = core::micros_from_dollars(*max_cost_usd);
}

}  // namespace parhelia::tools
