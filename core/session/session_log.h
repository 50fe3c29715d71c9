// Reading a session's log in bounded pieces: from an offset (to follow it), or its last lines.
// Pieces never end inside a UTF-8 character.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace parhelia::core {

struct LogChunk {
  std::string text;
  std::uint64_t offset = 0;       // where the text starts in the log
  std::uint64_t next_offset = 0;  // where to continue reading
  std::uint64_t size = 0;         // the log's size now
};

LogChunk read_log_from(const std::filesystem::path& log, std::uint64_t offset,
                       std::size_t max_bytes);
LogChunk read_log_tail(const std::filesystem::path& log, std::size_t lines, std::size_t max_bytes);

}  // namespace parhelia::core
