#include "server/pagination.h"

#include <algorithm>
#include <charconv>

namespace parhelia::server {
namespace {
constexpr std::string_view kPrefix = "page:";
}

std::variant<Page, RpcError> paginate(const json& params, std::size_t total,
                                      std::size_t page_size) {
  std::size_t begin = 0;
  const json cursor = params.is_object() ? params.value("cursor", json()) : json();
  if (!cursor.is_null()) {
    const std::string text = cursor.is_string() ? cursor.get<std::string>() : std::string();
    const std::string_view view(text);
    const char* digits_end = view.data() + view.size();
    const auto parsed =
        std::from_chars(view.data() + std::min(kPrefix.size(), view.size()), digits_end, begin);
    const bool ok = view.substr(0, kPrefix.size()) == kPrefix && parsed.ec == std::errc() &&
                    parsed.ptr == digits_end && begin <= total;
    if (!ok) {
      return RpcError{rpc_code::invalid_params,
                      "Invalid params: unknown cursor; start again without a cursor"};
    }
  }
  Page page;
  page.begin = begin;
  page.end = std::min(total, begin + page_size);
  if (page.end < total) page.next_cursor = std::string(kPrefix) + std::to_string(page.end);
  return page;
}

json page_result(const char* key, const json& all_items, const Page& page) {
  json items = json::array();
  for (std::size_t i = page.begin; i < page.end; ++i) items.push_back(all_items[i]);
  json result = {{key, std::move(items)}};
  if (page.next_cursor) result["nextCursor"] = *page.next_cursor;
  return result;
}

}  // namespace parhelia::server
