// What a gRPC server (Modal's API, a sandbox's command router) sends Parhelia: bytes split
// anywhere into gRPC frames, each message parsed as the answers Parhelia reads, and the header
// values it decodes (grpc-status, grpc-message) and the auth token's expiry.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api.pb.h"
#include "modal/api/jwt_expiry.h"
#include "modal/grpc/grpc_frames.h"
#include "modal/grpc/grpc_status.h"
#include "task_command_router.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  using namespace parhelia::modal;
  (void)grpc_code_from_header(bytes);
  (void)decode_grpc_message(bytes);
  (void)jwt_expiry(bytes);
  // The first byte says where the stream is split, so the reader sees pieces of every size.
  const std::size_t piece = size ? 1 + static_cast<unsigned char>(bytes[0]) : 1;
  GrpcFrameReader reader;
  for (std::size_t at = 0; at < size; at += piece) {
    const bool more = reader.feed(bytes.substr(at, piece), [](std::string&& message) {
      modal::client::TaskLogsBatch batch;
      if (batch.ParseFromString(message)) {
        for (const auto& item : batch.items()) (void)item.data().size();
      }
      modal::client::SandboxListResponse list;
      if (list.ParseFromString(message)) {
        for (const auto& info : list.sandboxes()) (void)info.task_info().result().status();
      }
      modal::task_command_router::TaskExecWaitResponse wait;
      (void)wait.ParseFromString(message);
      return true;
    });
    if (!more) break;
  }
  (void)reader.pending();
  return 0;
}
