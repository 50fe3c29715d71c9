#include <catch2/catch.hpp>

#include "server/jsonrpc.h"
#include "server/protocol_version.h"

using namespace parhelia::server;

TEST_CASE("classify tells requests, notifications and responses apart", "[unit][jsonrpc]") {
  CHECK(std::holds_alternative<RpcRequest>(
      classify(json::parse(R"({"jsonrpc":"2.0","id":1,"method":"ping"})"))));
  CHECK(std::holds_alternative<RpcNotification>(
      classify(json::parse(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"))));
  const auto response = classify(json::parse(R"({"jsonrpc":"2.0","id":"a","result":{}})"));
  REQUIRE(std::holds_alternative<RpcResponse>(response));
  const auto error =
      classify(json::parse(R"({"jsonrpc":"2.0","id":"a","error":{"code":-1,"message":"no"}})"));
  REQUIRE(std::holds_alternative<RpcResponse>(error));
  CHECK(std::get<RpcError>(std::get<RpcResponse>(error).outcome).code == -1);
}

TEST_CASE("classify refuses malformed messages with -32600", "[unit][jsonrpc]") {
  for (const char* text :
       {R"([1])", R"({"id":1,"method":"ping"})", R"({"jsonrpc":"1.0","id":1,"method":"ping"})",
        R"({"jsonrpc":"2.0","id":true,"method":"ping"})",
        R"({"jsonrpc":"2.0","id":null,"method":"x"})", R"({"jsonrpc":"2.0","id":1,"method":7})",
        R"({"jsonrpc":"2.0","id":1,"method":"x","params":3})", R"({"jsonrpc":"2.0","id":1})",
        R"({"jsonrpc":"2.0","id":1,"result":1,"error":{"code":1}})"}) {
    INFO(text);
    const auto message = classify(json::parse(text));
    REQUIRE(std::holds_alternative<RpcInvalid>(message));
    CHECK(std::get<RpcInvalid>(message).error.code == rpc_code::invalid_request);
  }
}

TEST_CASE("an invalid message keeps a readable id, and drops an unreadable one",
          "[unit][jsonrpc]") {
  CHECK(std::get<RpcInvalid>(classify(json::parse(R"({"jsonrpc":"1.0","id":"k","method":"x"})")))
            .id == "k");
  CHECK(std::get<RpcInvalid>(classify(json::parse(R"({"jsonrpc":"2.0","id":[1],"method":"x"})")))
            .id.is_null());
}

TEST_CASE("version negotiation keeps a supported version and otherwise offers the newest",
          "[unit][jsonrpc]") {
  for (const auto& version : ProtocolVersion::supported())
    CHECK(ProtocolVersion::negotiate(version).name() == version);
  CHECK(ProtocolVersion::negotiate("2099-01-01").name() == "2025-11-25");
  CHECK(ProtocolVersion::negotiate("2025-03-26").batching());
  CHECK_FALSE(ProtocolVersion::negotiate("2025-06-18").batching());
  CHECK_FALSE(ProtocolVersion::negotiate("2024-11-05").tool_annotations());
}

// Found by fuzz_server: an error answer without "code" was read with const operator[], which
// is undefined behaviour for a missing key (ASan: heap-buffer-overflow in classify).
TEST_CASE("classify reads an error answer's fields only where they are, of the right type",
          "[unit][jsonrpc]") {
  for (const char* text : {R"({"jsonrpc":"2.0","id":11,"error":{}})",
                           R"({"jsonrpc":"2.0","id":11,"error":{"coie":"x"}})",
                           R"({"jsonrpc":"2.0","id":11,"error":{"code":"x"}})",
                           R"({"jsonrpc":"2.0","id":11,"error":[1]})"}) {
    INFO(text);
    const auto classified = classify(json::parse(text));
    REQUIRE(std::holds_alternative<RpcInvalid>(classified));
    CHECK(std::get<RpcInvalid>(classified).error.code == rpc_code::invalid_request);
  }
  const auto odd = classify(
      json::parse(R"({"jsonrpc":"2.0","id":11,"error":{"code":-5,"message":5,"data":[1]}})"));
  REQUIRE(std::holds_alternative<RpcResponse>(odd));
  const auto& error = std::get<RpcError>(std::get<RpcResponse>(odd).outcome);
  CHECK(error.code == -5);
  CHECK(error.message.empty());
  CHECK(error.data == json::array({1}));
}
