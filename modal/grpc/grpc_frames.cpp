#include "modal/grpc/grpc_frames.h"

namespace parhelia::modal {

std::string grpc_frame(std::string_view message) {
  std::string framed;
  framed.reserve(5 + message.size());
  const auto size = static_cast<std::uint32_t>(message.size());
  framed.push_back('\0');  // not compressed
  framed.push_back(static_cast<char>(size >> 24));
  framed.push_back(static_cast<char>(size >> 16));
  framed.push_back(static_cast<char>(size >> 8));
  framed.push_back(static_cast<char>(size));
  framed.append(message);
  return framed;
}

bool GrpcFrameReader::feed(std::string_view bytes,
                           const std::function<bool(std::string&&)>& on_message) {
  if (!error_.empty()) return false;
  buffer_.append(bytes);
  std::size_t consumed = 0;
  bool keep_going = true;
  while (keep_going) {
    std::string_view rest(buffer_.data() + consumed, buffer_.size() - consumed);
    if (!length_) {
      if (rest.size() < 5) break;
      const auto flag = static_cast<unsigned char>(rest[0]);
      if (flag != 0) {
        error_ = flag == 1 ? "the server sent a compressed message, which was not offered"
                           : "the answer is not gRPC framing (bad message prefix)";
        return false;
      }
      std::size_t length = 0;
      for (int i = 1; i <= 4; ++i) length = (length << 8) | static_cast<unsigned char>(rest[i]);
      if (length > max_grpc_message_bytes) {
        error_ = "the server sent a message of " + std::to_string(length) +
                 " bytes, over the limit of " + std::to_string(max_grpc_message_bytes);
        return false;
      }
      length_ = length;
      consumed += 5;
      continue;
    }
    if (rest.size() < *length_) break;
    std::string message(rest.substr(0, *length_));
    consumed += *length_;
    length_.reset();
    keep_going = on_message(std::move(message));
  }
  buffer_.erase(0, consumed);
  return keep_going;
}

}  // namespace parhelia::modal
