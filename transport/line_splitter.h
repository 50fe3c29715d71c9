// Splits a byte stream into newline-terminated lines and refuses any line longer than a cap
// without ever holding more than the cap in memory.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace parhelia::transport {

class LineSink {
 public:
  virtual ~LineSink() = default;
  virtual void on_line(std::string_view line) = 0;
  // A line of `length` bytes was dropped because it was longer than the cap.
  virtual void on_overflow(std::size_t length) = 0;
};

class LineSplitter {
 public:
  explicit LineSplitter(std::size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}

  void feed(std::string_view chunk, LineSink& sink);
  // End of input: a last line without its newline is still a line (a client may omit it).
  void finish(LineSink& sink);

 private:
  void take(std::string_view piece, bool complete, LineSink& sink);

  std::size_t max_line_bytes_;
  std::string pending_;
  bool skipping_ = false;      // skipping the rest of an oversized line…
  std::size_t discarded_ = 0;  // …of which this many bytes are gone
};

}  // namespace parhelia::transport
