// Parses JSON text from outside (a peer's message) into a value, refusing text that nests
// deeper than a fixed cap before any of it is built, and reporting every way the text can fail
// as a value rather than an exception.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>

namespace parhelia::transport {

// Deep enough for any real MCP message (a tool's arguments sit three levels down), shallow
// enough that every recursive walk of the value (copy, compare, dump) stays far from the
// end of a thread's stack.
inline constexpr std::size_t kMaxJsonDepth = 64;

enum class JsonFailure {
  syntax,        // not JSON at all
  invalid_utf8,  // a string holds bytes that are not UTF-8
  number_range,  // a number too large for a double (1e400)
  too_deep,      // arrays and objects nested deeper than the cap
};

struct JsonParseError {
  JsonFailure failure = JsonFailure::syntax;
  std::size_t byte = 0;  // where the parser stopped (1-based, as nlohmann counts)
  // One sentence fragment for an error message. It names the byte, never the content: a bad
  // line may still hold a secret.
  std::string describe(std::size_t max_depth = kMaxJsonDepth) const;
};

std::variant<nlohmann::json, JsonParseError> parse_bounded_json(
    std::string_view text, std::size_t max_depth = kMaxJsonDepth);

}  // namespace parhelia::transport
