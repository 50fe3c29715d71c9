// The outcome of a gRPC call: gRPC's status code and message as the server sent them in
// `grpc-status`/`grpc-message`, or a failure of the transport under it (DNS, TCP, TLS, a cut
// connection, an answer that is not gRPC), which gRPC itself reports as UNAVAILABLE.
#pragma once

#include <string>
#include <string_view>

namespace parhelia::modal {

enum class GrpcCode {
  ok = 0,
  cancelled = 1,
  unknown = 2,
  invalid_argument = 3,
  deadline_exceeded = 4,
  not_found = 5,
  already_exists = 6,
  permission_denied = 7,
  resource_exhausted = 8,
  failed_precondition = 9,
  aborted = 10,
  out_of_range = 11,
  unimplemented = 12,
  internal = 13,
  unavailable = 14,
  data_loss = 15,
  unauthenticated = 16,
};

// What went wrong below gRPC, when nothing from the server decided the outcome.
enum class TransportFailure { none, resolve, connect, tls, connection_lost, not_grpc, other };

struct GrpcStatus {
  GrpcCode code = GrpcCode::ok;
  std::string message;  // grpc-message, percent-decoded; or the transport's own words
  TransportFailure transport = TransportFailure::none;

  bool ok() const { return code == GrpcCode::ok; }
  static GrpcStatus from_server(GrpcCode code, std::string message) {
    return {code, std::move(message), TransportFailure::none};
  }
  static GrpcStatus from_transport(TransportFailure failure, std::string message,
                                   GrpcCode code = GrpcCode::unavailable) {
    return {code, std::move(message), failure};
  }
};

// "UNAVAILABLE", "DEADLINE_EXCEEDED", ... (gRPC's names).
std::string_view grpc_code_name(GrpcCode code);
// grpc-status's value as a code: out-of-range values are UNKNOWN, as gRPC says.
GrpcCode grpc_code_from_header(std::string_view value);
// grpc-message is percent-encoded (gRPC's HTTP/2 protocol): %XX decoded, anything else kept.
std::string decode_grpc_message(std::string_view value);

}  // namespace parhelia::modal
