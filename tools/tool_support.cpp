#include "tools/tool_support.h"

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

}  // namespace parhelia::tools
