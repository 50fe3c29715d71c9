#include "modal/api/jwt_expiry.h"

#include <string>

#include "core/base/untrusted_json.h"

namespace parhelia::modal {
namespace {

std::optional<std::string> decode_base64url(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-' || c == '+') return 62;
    if (c == '_' || c == '/') return 63;
    return -1;
  };
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int v = value(c);
    if (v < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return out;
}

}  // namespace

std::optional<std::int64_t> jwt_expiry(std::string_view token) {
  if (token.size() > 64 * 1024) return std::nullopt;
  const auto first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = token.find('.', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  auto payload = decode_base64url(token.substr(first + 1, second - first - 1));
  if (!payload) return std::nullopt;
  auto claims = core::parse_untrusted_json(*payload, {.max_bytes = 48 * 1024, .max_depth = 8});
  if (!claims || !claims->is_object()) return std::nullopt;
  auto exp = claims->find("exp");
  if (exp == claims->end() || !exp->is_number()) return std::nullopt;
  const double seconds = exp->get<double>();
  if (!(seconds > 0 && seconds < 1e11)) return std::nullopt;
  return static_cast<std::int64_t>(seconds);
}

}  // namespace parhelia::modal
