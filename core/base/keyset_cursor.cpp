#include "core/base/keyset_cursor.h"

#include <charconv>

namespace parhelia::core {

std::string to_cursor(std::string_view prefix, const KeysetCursor& cursor) {
  std::string token = std::string(prefix) + std::to_string(cursor.key);
  if (cursor.tie) token += ":" + *cursor.tie;
  return token;
}

std::optional<KeysetCursor> parse_cursor(std::string_view token, std::string_view prefix,
                                         bool with_tie) {
  if (token.substr(0, prefix.size()) != prefix) return std::nullopt;
  std::string_view rest = token.substr(prefix.size());
  KeysetCursor cursor;
  std::string_view key = rest;
  if (with_tie) {
    const auto colon = rest.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    key = rest.substr(0, colon);
    cursor.tie = std::string(rest.substr(colon + 1));
  }
  const auto [end, error] = std::from_chars(key.data(), key.data() + key.size(), cursor.key);
  if (error != std::errc() || end != key.data() + key.size() || key.empty()) return std::nullopt;
  return cursor;
}

}  // namespace parhelia::core
