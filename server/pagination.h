// Cursor pagination for every MCP list method. A cursor is opaque to clients; here it encodes
// the offset of the next page, so a stale or forged one is refused, never misread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <variant>

#include "server/jsonrpc.h"

namespace parhelia::server {

struct Page {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::optional<std::string> next_cursor;
};

// params may hold "cursor"; an unreadable or out-of-range cursor is an invalid-params error.
std::variant<Page, RpcError> paginate(const json& params, std::size_t total, std::size_t page_size);

// Builds {key: items[page], nextCursor?} for a list answer.
json page_result(const char* key, const json& all_items, const Page& page);

}  // namespace parhelia::server
