#include "core/base/untrusted_json.h"

#include <algorithm>

namespace parhelia::core {
namespace {

using json = nlohmann::json;

const json* member(const json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  const auto found = object.find(key);
  return found == object.end() ? nullptr : &*found;
}

}  // namespace

bool nests_within(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

std::optional<json> parse_untrusted_json(std::string_view text, JsonLimits limits) {
  if (text.size() > limits.max_bytes || !nests_within(text, limits.max_depth)) return std::nullopt;
  // Without exceptions: ill-formed text, ill-formed UTF-8 and numbers out of a double's range
  // all come back as a discarded value.
  json value = json::parse(text, nullptr, false);
  if (value.is_discarded()) return std::nullopt;
  return value;
}

std::optional<std::string> string_field(const json& object, std::string_view key) {
  const json* field = member(object, key);
  if (!field || !field->is_string()) return std::nullopt;
  return field->get<std::string>();
}

std::optional<bool> bool_field(const json& object, std::string_view key) {
  const json* field = member(object, key);
  if (!field || !field->is_boolean()) return std::nullopt;
  return field->get<bool>();
}

std::optional<std::int64_t> count_field(const json& object, std::string_view key,
                                        std::int64_t most) {
  const json* field = member(object, key);
  if (!field) return std::nullopt;
  if (field->is_number_unsigned()) {
    const auto value = field->get<std::uint64_t>();
    return value > static_cast<std::uint64_t>(most) ? most : static_cast<std::int64_t>(value);
  }
  if (field->is_number_integer()) {
    const auto value = field->get<std::int64_t>();
    if (value < 0) return std::nullopt;
    return std::min(value, most);
  }
  return std::nullopt;
}

const json& object_field(const json& object, std::string_view key) {
  static const json empty = json::object();
  const json* field = member(object, key);
  return field && field->is_object() ? *field : empty;
}

const json& array_field(const json& object, std::string_view key) {
  static const json empty = json::array();
  const json* field = member(object, key);
  return field && field->is_array() ? *field : empty;
}

}  // namespace parhelia::core
