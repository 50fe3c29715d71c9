#include "core/session/session_log.h"

#include <algorithm>
#include <fstream>

namespace parhelia::core {
namespace {

std::uint64_t log_size(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

std::string read_range(const std::filesystem::path& path, std::uint64_t offset,
                       std::size_t length) {
  std::ifstream in(path, std::ios::binary);
  std::string text(length, '\0');
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(text.data(), static_cast<std::streamsize>(length));
  text.resize(static_cast<std::size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  return text;
}

// Bytes to drop from the end so that no UTF-8 sequence is cut in half.
std::size_t incomplete_tail(const std::string& text) {
  std::size_t back = 0;
  while (back < text.size() && back < 4) {
    const auto c = static_cast<unsigned char>(text[text.size() - 1 - back]);
    if ((c & 0xC0) != 0x80) {  // a lead byte (or ASCII): is its sequence complete?
      const std::size_t needed = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
      return needed > back + 1 ? back + 1 : 0;
    }
    ++back;
  }
  return 0;
}

}  // namespace

LogChunk read_log_from(const std::filesystem::path& log, std::uint64_t offset,
                       std::size_t max_bytes) {
  LogChunk chunk;
  chunk.size = log_size(log);
  chunk.offset = std::min(offset, chunk.size);
  chunk.text = read_range(
      log, chunk.offset,
      static_cast<std::size_t>(std::min<std::uint64_t>(max_bytes, chunk.size - chunk.offset)));
  chunk.text.resize(chunk.text.size() - incomplete_tail(chunk.text));
  chunk.next_offset = chunk.offset + chunk.text.size();
  return chunk;
}

LogChunk read_log_tail(const std::filesystem::path& log, std::size_t lines, std::size_t max_bytes) {
  LogChunk chunk;
  chunk.size = log_size(log);
  const std::uint64_t start = chunk.size > max_bytes ? chunk.size - max_bytes : 0;
  std::string text = read_range(log, start, static_cast<std::size_t>(chunk.size - start));
  // Count lines back from the end (a final newline does not start another line).
  std::size_t cut = text.size();
  std::size_t seen = 0;
  std::size_t search_end = (!text.empty() && text.back() == '\n') ? text.size() - 1 : text.size();
  while (seen < lines) {
    const auto newline = search_end == 0 ? std::string::npos : text.rfind('\n', search_end - 1);
    if (newline == std::string::npos) {
      cut = 0;
      break;
    }
    cut = newline + 1;
    search_end = newline;
    ++seen;
  }
  if (start > 0 && cut == 0) {  // the window began mid-line or mid-character: skip to a line start
    const auto newline = text.find('\n');
    cut = newline == std::string::npos ? 0 : newline + 1;
  }
  chunk.text = text.substr(cut);
  chunk.offset = start + cut;
  chunk.next_offset = chunk.size;
  return chunk;
}

}  // namespace parhelia::core
