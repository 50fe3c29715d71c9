// UTF-8 as bytes from outside arrive: file names, commands and output are byte strings that
// are usually, not always, UTF-8 (`caf\xe9.txt` in an old repository). JSON and terminals need
// to know which bytes form characters.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace parhelia::core {

// The length of the well-formed UTF-8 character at `at` (1 to 4), or 0 where the bytes there
// are not one (a stray continuation byte, a truncated or overlong sequence, a surrogate).
std::size_t utf8_char_length(std::string_view text, std::size_t at);

bool is_utf8(std::string_view text);

// The text with each byte that is not part of a character replaced by U+FFFD.
std::string utf8_lossy(std::string_view text);

// Bytes that are not text travel as lowercase hex, and back (false for text that is not hex).
std::string hex_of(std::string_view bytes);
bool bytes_of_hex(std::string_view hex, std::string& bytes);

}  // namespace parhelia::core
