#include "modal/toml_profiles.h"

#include <cctype>

namespace parhelia::modal {
namespace {

struct Line {
  std::string_view text;
  std::size_t at = 0;
  bool done() const { return at >= text.size(); }
  char peek() const { return done() ? '\0' : text[at]; }
  void skip_space() {
    while (!done() && (text[at] == ' ' || text[at] == '\t')) ++at;
  }
  // Only a comment or nothing may follow.
  bool rest_is_empty() {
    skip_space();
    return done() || text[at] == '#';
  }
};

bool bare_key_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

void append_utf8(std::string& out, unsigned long code) {
  if (code < 0x80) {
    out.push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code >> 6)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else if (code < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  }
}

// A quoted string starting at the quote; the error says what is wrong, never what it holds.
core::Result<std::string> quoted(Line& line) {
  const char quote = line.peek();
  ++line.at;
  std::string out;
  while (!line.done()) {
    const char c = line.text[line.at++];
    if (c == quote) return out;
    if (quote == '\'' || c != '\\') {
      out.push_back(c);
      continue;
    }
    if (line.done()) break;
    const char escape = line.text[line.at++];
    switch (escape) {
      case '"':
        out.push_back('"');
        break;
      case '\\':
        out.push_back('\\');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'u':
      case 'U': {
        const std::size_t digits = escape == 'u' ? 4 : 8;
        if (line.at + digits > line.text.size())
          return core::invalid("a \\u escape is cut short", "");
        unsigned long code = 0;
        for (std::size_t i = 0; i < digits; ++i) {
          const char h = line.text[line.at++];
          if (!std::isxdigit(static_cast<unsigned char>(h))) {
            return core::invalid("a \\u escape has a character that is not hexadecimal", "");
          }
          code = code * 16 + static_cast<unsigned long>(std::isdigit(static_cast<unsigned char>(h))
                                                            ? h - '0'
                                                            : (std::tolower(h) - 'a' + 10));
        }
        if (code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
          return core::invalid("a \\u escape is not a Unicode character", "");
        }
        append_utf8(out, code);
        break;
      }
      default:
        return core::invalid("a string has an unknown escape", "");
    }
  }
  return core::invalid("a string is not closed on its line", "");
}

core::Result<std::string> key(Line& line) {
  line.skip_space();
  if (line.peek() == '"' || line.peek() == '\'') return quoted(line);
  const std::size_t start = line.at;
  while (!line.done() && bare_key_char(line.peek())) ++line.at;
  if (line.at == start) return core::invalid("a key is missing", "");
  return std::string(line.text.substr(start, line.at - start));
}

core::Error on_line(std::size_t number, const core::Error& error) {
  return core::invalid("line " + std::to_string(number) + ": " + error.message, "");
}

}  // namespace

core::Result<TomlProfiles> parse_toml_profiles(std::string_view text) {
  if (text.size() > max_toml_bytes) {
    return core::invalid("the file is larger than 1 MiB, which no Modal config is", "");
  }
  TomlProfiles profiles;
  std::string table;  // "" before the first table: keys there are not a profile's
  bool in_table = false;
  std::size_t number = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(start, end - start);
    start = end + 1;
    ++number;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    Line line{raw};
    if (line.rest_is_empty()) {
      if (end == text.size()) break;
      continue;
    }
    if (line.peek() == '[') {
      ++line.at;
      if (line.peek() == '[')
        return on_line(number, core::invalid("arrays of tables are not a Modal profile", ""));
      auto name = key(line);
      if (!name) return on_line(number, name.error());
      line.skip_space();
      if (line.peek() == '.')
        return on_line(number, core::invalid("a dotted table name is not a Modal profile", ""));
      if (line.peek() != ']')
        return on_line(number, core::invalid("a table header is not closed with ]", ""));
      ++line.at;
      if (!line.rest_is_empty())
        return on_line(number, core::invalid("something follows the table header", ""));
      table = name.value();
      in_table = true;
      profiles[table];  // an empty profile is still a profile
    } else {
      auto name = key(line);
      if (!name) return on_line(number, name.error());
      line.skip_space();
      if (line.peek() != '=')
        return on_line(number, core::invalid("a key is not followed by =", ""));
      ++line.at;
      line.skip_space();
      std::string value;
      if (line.peek() == '"' || line.peek() == '\'') {
        if (line.text.substr(line.at, 3) == "\"\"\"" || line.text.substr(line.at, 3) == "'''") {
          return on_line(number, core::invalid("multi-line strings are not read", ""));
        }
        auto parsed = quoted(line);
        if (!parsed) return on_line(number, parsed.error());
        value = std::move(parsed.value());
      } else {
        const std::size_t value_start = line.at;
        while (!line.done() && line.peek() != '#' && line.peek() != ' ' && line.peek() != '\t')
          ++line.at;
        value = std::string(line.text.substr(value_start, line.at - value_start));
        const bool boolean = value == "true" || value == "false";
        bool integer = !value.empty();
        for (std::size_t i = 0; i < value.size(); ++i) {
          const char c = value[i];
          if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '_' ||
                (i == 0 && (c == '-' || c == '+')))) {
            integer = false;
          }
        }
        if (!boolean && !integer) {
          return on_line(number,
                         core::invalid("a value is not a string, a boolean or an integer", ""));
        }
      }
      if (!line.rest_is_empty())
        return on_line(number, core::invalid("something follows the value", ""));
      if (in_table) profiles[table][name.value()] = std::move(value);
    }
    if (end == text.size()) break;
  }
  return profiles;
}

}  // namespace parhelia::modal
