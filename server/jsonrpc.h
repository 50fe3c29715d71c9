// JSON-RPC 2.0 messages: what an incoming message is, and how answers are shaped.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>

namespace parhelia::server {

using json = nlohmann::json;

namespace rpc_code {
inline constexpr int parse_error = -32700;
inline constexpr int invalid_request = -32600;
inline constexpr int method_not_found = -32601;
inline constexpr int invalid_params = -32602;
inline constexpr int internal_error = -32603;
// MCP's code for a resource URI that names nothing.
inline constexpr int resource_not_found = -32002;
}  // namespace rpc_code

struct RpcError {
  int code = rpc_code::internal_error;
  std::string message;
  json data = nullptr;
};

// A result already written as JSON text: an answer that is the same every time (a list of
// fixed tools) is made once and sent as it is, not rebuilt and written out on every request.
struct SerializedResult {
  std::shared_ptr<const std::string> json_text;
};

// What a request handler gives back: the result, or the error to answer with.
using RpcResult = std::variant<json, RpcError, SerializedResult>;

struct RpcRequest {
  json id;
  std::string method;
  json params;  // an object, or null when absent
};
struct RpcNotification {
  std::string method;
  json params;
};
struct RpcResponse {
  json id;
  RpcResult outcome;
};
// Something that is JSON but not a JSON-RPC message; answered with `error` and `id`
// (null when the id itself could not be read).
struct RpcInvalid {
  json id;
  RpcError error;
};
using RpcMessage = std::variant<RpcRequest, RpcNotification, RpcResponse, RpcInvalid>;

RpcMessage classify(const json& message);

// MCP narrows JSON-RPC: a request id (and a progress token) is a string or a number, never
// null, never a structure.
bool is_valid_id(const json& id);

json make_response(const json& id, json result);
// The text of a response whose result is already text.
std::string make_response_text(const json& id, const std::string& result_json);
json make_error_response(const json& id, const RpcError& error);
json make_notification(const std::string& method, json params);
json make_request(const json& id, const std::string& method, json params);

}  // namespace parhelia::server
