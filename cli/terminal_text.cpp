#include "cli/terminal_text.h"

#include <cstdio>

#include "core/base/utf8.h"

namespace parhelia::cli {
namespace {

std::string byte_escape(unsigned char byte) {
  switch (byte) {
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    case 0x1B:
      return "\\e";
    default: {
      char text[8];
      std::snprintf(text, sizeof text, "\\x%02x", byte);
      return text;
    }
  }
}

// The code point of a well-formed character of `length` bytes.
char32_t code_point(std::string_view c) {
  const auto b = [&](std::size_t i) {
    return static_cast<char32_t>(static_cast<unsigned char>(c[i]));
  };
  switch (c.size()) {
    case 1:
      return b(0);
    case 2:
      return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
    case 3:
      return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    default:
      return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
  }
}

// C1 controls (U+0080 to U+009F: 8-bit CSI and OSC to many terminals), and the characters
// that reorder text or break lines without a newline.
bool is_unicode_control(char32_t c) {
  return (c >= 0x80 && c <= 0x9F) || c == 0x061C || c == 0x200E || c == 0x200F ||
         (c >= 0x2028 && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

std::string escaped(std::string_view text, bool keep_lines, std::string_view indent) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = core::utf8_char_length(text, i);
    if (length == 0) {
      out += byte_escape(static_cast<unsigned char>(text[i]));
      ++i;
      continue;
    }
    const std::string_view c = text.substr(i, length);
    i += length;
    const char32_t point = code_point(c);
    if (keep_lines && point == '\n') {
      out += '\n';
      out += indent;
    } else if (keep_lines && point == '\t') {
      out += '\t';
    } else if (point < 0x20 || point == 0x7F) {
      out += byte_escape(static_cast<unsigned char>(point));
    } else if (is_unicode_control(point)) {
      char escape[16];
      std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(point));
      out += escape;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string terminal_line(std::string_view text) {
  return escaped(text, false, "");
}

std::string terminal_block(std::string_view text, std::string_view indent) {
  return escaped(text, true, indent);
}

}  // namespace parhelia::cli
