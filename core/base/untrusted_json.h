// JSON that a session wrote (the agent's stream, files in its reach) may be any byte string:
// it is measured before it is parsed, and read with accessors that take a field only when it
// has the expected type, so no input can throw out of the reader or exhaust its stack.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace parhelia::core {

struct JsonLimits {
  std::size_t max_bytes = 0;
  // Arrays and objects inside one another. nlohmann parses iteratively but dumps, compares
  // and copies recursively: a value deeper than this is never built.
  int max_depth = 0;
};

// Whether `text` nests arrays and objects no deeper than `max_depth`, counted without parsing
// (brackets inside strings do not count), so that a 100,000-level line costs one pass.
bool nests_within(std::string_view text, int max_depth);

// The value, or nothing when the text is too long, too deep or not JSON.
std::optional<nlohmann::json> parse_untrusted_json(std::string_view text, JsonLimits limits);

// A field of `object` when `object` is an object and the field has the expected type.
std::optional<std::string> string_field(const nlohmann::json& object, std::string_view key);
std::optional<bool> bool_field(const nlohmann::json& object, std::string_view key);
// A whole number from 0 to `most` (a larger one reads as `most`, a negative one as nothing).
std::optional<std::int64_t> count_field(const nlohmann::json& object, std::string_view key,
                                        std::int64_t most);
// The field if it is an object (or an array); a shared empty one otherwise.
const nlohmann::json& object_field(const nlohmann::json& object, std::string_view key);
const nlohmann::json& array_field(const nlohmann::json& object, std::string_view key);

}  // namespace parhelia::core
