// The pieces of the Modal client that read what a server sends: gRPC framing, grpc-message,
// the auth token's expiry, and when a failure is retried.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "modal/api/jwt_expiry.h"
#include "modal/api/retry_schedule.h"
#include "modal/grpc/grpc_frames.h"
#include "modal/grpc/grpc_status.h"

using namespace parhelia::modal;

namespace {
std::vector<std::string> read_all(GrpcFrameReader& reader, const std::string& bytes,
                                  std::size_t piece) {
  std::vector<std::string> messages;
  for (std::size_t at = 0; at < bytes.size(); at += piece) {
    REQUIRE(reader.feed(std::string_view(bytes).substr(at, piece), [&](std::string&& message) {
      messages.push_back(std::move(message));
      return true;
    }));
  }
  return messages;
}
}  // namespace

TEST_CASE("grpc framing: messages come out whole however the bytes are split", "[modal-grpc]") {
  const std::string big(70000, 'x');
  const std::string wire = grpc_frame("hello") + grpc_frame("") + grpc_frame(big);
  for (std::size_t piece : {std::size_t{1}, std::size_t{4}, std::size_t{5}, std::size_t{7},
                            std::size_t{16384}, wire.size()}) {
    GrpcFrameReader reader;
    auto messages = read_all(reader, wire, piece);
    REQUIRE(messages.size() == 3);
    CHECK(messages[0] == "hello");
    CHECK(messages[1].empty());
    CHECK(messages[2] == big);
    CHECK(reader.pending() == 0);
  }
}

TEST_CASE("grpc framing: a message cut short is pending, not delivered", "[modal-grpc]") {
  GrpcFrameReader reader;
  const std::string wire = grpc_frame("abcdef");
  int delivered = 0;
  REQUIRE(reader.feed(std::string_view(wire).substr(0, 8), [&](std::string&&) {
    ++delivered;
    return true;
  }));
  CHECK(delivered == 0);
  CHECK(reader.pending() > 0);
}

TEST_CASE("grpc framing: compressed or oversized messages are refused before any allocation",
          "[modal-grpc]") {
  GrpcFrameReader compressed;
  CHECK_FALSE(
      compressed.feed(std::string("\x01\0\0\0\x01x", 6), [](std::string&&) { return true; }));
  CHECK(compressed.error().find("compressed") != std::string::npos);
  GrpcFrameReader huge;
  CHECK_FALSE(huge.feed(std::string("\0\x7f\xff\xff\xff", 5), [](std::string&&) { return true; }));
  CHECK(huge.error().find("over the limit") != std::string::npos);
  GrpcFrameReader garbage;
  CHECK_FALSE(garbage.feed("<html>", [](std::string&&) { return true; }));
}

TEST_CASE("grpc status: codes and percent-encoded messages read as gRPC says", "[modal-grpc]") {
  CHECK(grpc_code_from_header("14") == GrpcCode::unavailable);
  CHECK(grpc_code_from_header("16") == GrpcCode::unauthenticated);
  CHECK(grpc_code_from_header("99") == GrpcCode::unknown);
  CHECK(grpc_code_from_header("x") == GrpcCode::unknown);
  CHECK(grpc_code_name(GrpcCode::resource_exhausted) == "RESOURCE_EXHAUSTED");
  CHECK(decode_grpc_message("GPU%20quota%3A 2") == "GPU quota: 2");
  CHECK(decode_grpc_message("100%") == "100%");
  CHECK(decode_grpc_message("%zz%4") == "%zz%4");
}

TEST_CASE("jwt expiry: exp read from the payload, anything else gives nothing", "[modal-grpc]") {
  // {"exp":1900000000} base64url-encoded
  CHECK(jwt_expiry("eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE5MDAwMDAwMDB9.sig") == 1900000000);
  CHECK_FALSE(jwt_expiry("not-a-jwt"));
  CHECK_FALSE(jwt_expiry("a.b.c"));
  CHECK_FALSE(jwt_expiry("a.eyJleHAiOiJzb29uIn0.c"));  // {"exp":"soon"}
}

TEST_CASE("retry schedule: only transient failures of calls safe to repeat, with growing waits",
          "[modal-grpc]") {
  RetrySchedule schedule;
  const auto unavailable = GrpcStatus::from_server(GrpcCode::unavailable, "");
  const auto throttled = GrpcStatus::from_server(GrpcCode::resource_exhausted, "");
  const auto lost = GrpcStatus::from_transport(TransportFailure::connection_lost, "");
  CHECK(schedule.delay_after(unavailable, 1, Repeat::safe));
  CHECK(schedule.delay_after(lost, 1, Repeat::safe));
  CHECK_FALSE(schedule.delay_after(unavailable, 1, Repeat::unsafe));
  CHECK_FALSE(schedule.delay_after(GrpcStatus::from_server(GrpcCode::unauthenticated, ""), 1,
                                   Repeat::safe));
  CHECK_FALSE(
      schedule.delay_after(GrpcStatus::from_server(GrpcCode::not_found, ""), 1, Repeat::safe));
  CHECK_FALSE(
      schedule.delay_after(GrpcStatus::from_transport(TransportFailure::tls, ""), 1, Repeat::safe));
  CHECK_FALSE(schedule.delay_after(unavailable, schedule.max_attempts, Repeat::safe));
  const auto first = *schedule.delay_after(unavailable, 1, Repeat::safe);
  CHECK(first >= schedule.base_delay / 2);
  CHECK(first <= schedule.base_delay);
  CHECK(*schedule.delay_after(unavailable, 3, Repeat::safe) >= schedule.base_delay * 2);
  CHECK(*schedule.delay_after(throttled, 1, Repeat::safe) >= schedule.throttled_base_delay / 2);
}
