#include "server/jsonrpc.h"

#include "transport/transport.h"

namespace parhelia::server {
namespace {

RpcInvalid invalid(json id, std::string message) {
  return {std::move(id), RpcError{rpc_code::invalid_request, std::move(message)}};
}

}  // namespace

bool is_valid_id(const json& id) {
  return id.is_string() || id.is_number();
}

RpcMessage classify(const json& message) {
  if (!message.is_object())
    return invalid(nullptr, "Invalid Request: a message must be a JSON object");
  const json id = message.contains("id") ? message["id"] : json();
  const bool has_id = message.contains("id");
  if (has_id && !is_valid_id(id)) {
    return invalid(nullptr, "Invalid Request: the id must be a string or a number");
  }
  const auto version = message.find("jsonrpc");
  if (version == message.end() || *version != "2.0") {
    return invalid(id, "Invalid Request: \"jsonrpc\" must be \"2.0\"");
  }

  if (const auto method = message.find("method"); method != message.end()) {
    if (!method->is_string()) return invalid(id, "Invalid Request: \"method\" must be a string");
    json params = message.value("params", json());
    if (!params.is_null() && !params.is_object() && !params.is_array()) {
      return invalid(id, "Invalid Request: \"params\" must be an object or an array");
    }
    if (has_id) return RpcRequest{id, method->get<std::string>(), std::move(params)};
    return RpcNotification{method->get<std::string>(), std::move(params)};
  }

  const bool has_result = message.contains("result");
  const auto error = message.find("error");
  if (has_id && has_result != (error != message.end())) {
    if (has_result) return RpcResponse{id, message["result"]};
    // value(), not operator[]: on a const object a missing key is undefined behaviour there.
    const json code = error->is_object() ? error->value("code", json()) : json();
    if (!code.is_number_integer()) {
      return invalid(nullptr, "Invalid Request: an error response needs an integer \"code\"");
    }
    const json text = error->value("message", json());
    return RpcResponse{
        id, RpcError{code.get<int>(), text.is_string() ? text.get<std::string>() : std::string(),
                     error->value("data", json())}};
  }
  return invalid(
      id, "Invalid Request: a message needs \"method\", or an id with \"result\" or \"error\"");
}

json make_response(const json& id, json result) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

std::string make_response_text(const json& id, const std::string& result_json) {
  return R"({"id":)" + transport::serialize(id) + R"(,"jsonrpc":"2.0","result":)" + result_json +
         "}";
}

json make_error_response(const json& id, const RpcError& error) {
  json body = {{"code", error.code}, {"message", error.message}};
  if (!error.data.is_null()) body["data"] = error.data;
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(body)}};
}

json make_notification(const std::string& method, json params) {
  json message = {{"jsonrpc", "2.0"}, {"method", method}};
  if (!params.is_null()) message["params"] = std::move(params);
  return message;
}

json make_request(const json& id, const std::string& method, json params) {
  json message = make_notification(method, std::move(params));
  message["id"] = id;
  return message;
}

}  // namespace parhelia::server
