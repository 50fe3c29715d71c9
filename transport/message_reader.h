// Turns the lines of a stream into JSON messages for a handler: each line is parsed as
// untrusted text (depth-capped, errors as values), and a line that cannot be a message is
// reported as unreadable while the stream stays usable.
#pragma once

#include <cstddef>
#include <string_view>

#include "transport/line_splitter.h"
#include "transport/transport.h"

namespace parhelia::transport {

class MessageReader final : public LineSink {
 public:
  // `max_line_bytes` is only named in the message about an oversized line.
  MessageReader(MessageHandler& handler, std::size_t max_line_bytes)
      : handler_(handler), max_line_bytes_(max_line_bytes) {}

  void on_line(std::string_view line) override;
  void on_overflow(std::size_t length) override;

 private:
  MessageHandler& handler_;
  std::size_t max_line_bytes_;
};

}  // namespace parhelia::transport
