// The I/O boundary of the MCP server: it moves whole JSON messages in and out and knows
// nothing of what they mean.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace parhelia::transport {

// How a message is written: compact, on one line (a newline inside a string is escaped), a
// stray invalid byte in some string replaced rather than thrown on.
inline std::string serialize(const nlohmann::json& message) {
  return message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Why a line that arrived could not be handed on as a message: not JSON (or JSON no parser
// can hold, such as 1e400), over the size cap, or nested beyond the depth cap.
enum class ReadFailure { malformed_json, too_large, too_deep };

class MessageHandler {
 public:
  virtual ~MessageHandler() = default;
  virtual void on_message(nlohmann::json message) = 0;
  // A line that is not JSON, or is over the size or depth cap. The stream stays usable afterwards.
  virtual void on_unreadable(ReadFailure failure, const std::string& detail) = 0;
};

// Thread-safety: send() may be called from any thread at any time and writes each message whole,
// never interleaved with another; run() is called once, from one thread, and returns at the end
// of input or after stop().
class Transport {
 public:
  virtual ~Transport() = default;
  // Returns false once the peer has gone (the message was not delivered).
  virtual bool send(const nlohmann::json& message) = 0;
  // The same for a message already written as JSON text (one value, as serialize() writes it).
  virtual bool send_serialized(std::string json_text) = 0;
  virtual void run(MessageHandler& handler) = 0;
};

}  // namespace parhelia::transport
