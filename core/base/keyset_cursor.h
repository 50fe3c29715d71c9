// Keyset cursors: the token a paged list gives for "the rest". It names the last item shown by
// its sort key (and, where keys tie, a second key), so that the next page starts right after
// it whatever was added since: "c1764662400000:task-0123abcd" (sessions, newest first, by
// created_at then id), "before:42" (ledger rows, by id).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parhelia::core {

struct KeysetCursor {
  std::int64_t key = 0;
  std::optional<std::string> tie;  // the second key, where the list has one
};

// prefix + key, then ":" + tie when there is one.
std::string to_cursor(std::string_view prefix, const KeysetCursor& cursor);
// The cursor a token made by to_cursor(prefix, …) stands for (with a tie when `with_tie`);
// nothing for any other token.
std::optional<KeysetCursor> parse_cursor(std::string_view token, std::string_view prefix,
                                         bool with_tie);

}  // namespace parhelia::core
