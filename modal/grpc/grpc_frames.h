// gRPC's message framing: each message is a 5-byte prefix (a compressed flag, then the length
// as 4 bytes big-endian) and the protobuf bytes. The reader is fed what arrives, in pieces of
// any size, and hands out whole messages; what a server sends is untrusted, so a length over
// the limit or a compressed message (Parhelia never offers compression) is an error, not an
// allocation.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace parhelia::modal {

// The largest message Parhelia accepts, as Modal's Go client (100 MiB).
inline constexpr std::size_t max_grpc_message_bytes = 100u << 20;

// One message framed for the wire.
std::string grpc_frame(std::string_view message);

class GrpcFrameReader {
 public:
  // Feeds bytes; calls on_message for each whole message; on_message returns false to stop.
  // Returns false when the bytes are not gRPC framing (error() says why) or on_message stopped.
  bool feed(std::string_view bytes, const std::function<bool(std::string&&)>& on_message);
  // Bytes of a message not yet whole: a clean end has none.
  std::size_t pending() const { return buffer_.size() + (length_ ? 5 : 0); }
  const std::string& error() const { return error_; }

 private:
  std::string buffer_;
  std::optional<std::size_t> length_;  // of the message being read, once its prefix is in
  std::string error_;
};

}  // namespace parhelia::modal
