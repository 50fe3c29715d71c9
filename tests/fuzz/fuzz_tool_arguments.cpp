// Fuzz target: the tools' argument validation, against the real input schemas of Parhelia's
// tools as mcp-manifest.json publishes them (embedded at build time; a test keeps the manifest
// equal to what tools/list returns). The first byte picks the tool, the rest is the arguments'
// JSON text, parsed as the server parses it. Validation must answer (a sentence or nothing),
// never crash, and a value it passes must be what the schema says at the top level.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "server/json_schema.h"
#include "transport/bounded_json.h"

namespace {

using json = nlohmann::json;

constexpr const char* kManifest =
#include "manifest_text.inc"
    ;

void require(bool condition) {
  if (!condition) std::abort();
}

struct Tool {
  std::string name;
  json input_schema;
};

const std::vector<Tool>& tools() {
  static const std::vector<Tool> all = [] {
    std::vector<Tool> found;
    const json manifest = json::parse(kManifest);
    for (const auto& tool : manifest.at("tools")) {
      found.push_back({tool.at("name").get<std::string>(), tool.at("inputSchema")});
    }
    require(!found.empty());
    return found;
  }();
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const Tool& tool = tools()[data[0] % tools().size()];
  auto parsed = parhelia::transport::parse_bounded_json(
      std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  const auto* arguments = std::get_if<json>(&parsed);
  if (arguments == nullptr) return 0;
  const auto violation = parhelia::server::validate_against_schema(tool.input_schema, *arguments);
  if (violation) {
    require(!violation->empty());
  } else {
    require(arguments->is_object());
    for (const auto& required : tool.input_schema.value("required", json::array())) {
      require(arguments->contains(required.get<std::string>()));
    }
    for (const auto& [key, value] : arguments->items()) {
      require(tool.input_schema["properties"].contains(key));
    }
  }
  return 0;
}
