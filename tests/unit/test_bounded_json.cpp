// The parser every peer's message goes through: a depth cap applied while parsing, and every
// failure (syntax, UTF-8, a number no double holds, too deep) a value rather than an exception.
#include <catch2/catch.hpp>
#include <string>

#include "transport/bounded_json.h"

using parhelia::transport::JsonFailure;
using parhelia::transport::JsonParseError;
using parhelia::transport::kMaxJsonDepth;
using parhelia::transport::parse_bounded_json;
using json = nlohmann::json;

namespace {

std::string arrays(std::size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

JsonFailure failure_of(std::string_view text) {
  auto parsed = parse_bounded_json(text);
  REQUIRE(std::holds_alternative<JsonParseError>(parsed));
  return std::get<JsonParseError>(parsed).failure;
}

}  // namespace

TEST_CASE("bounded JSON: what nlohmann parses, it parses the same", "[unit][bounded_json]") {
  for (
      const char* text :
      {R"({"jsonrpc":"2.0","id":1,"method":"ping"})", R"([1,-2,3.5,1e300,"x\u00e9",true,null])",
       R"({"a":{"b":[{},[],{"c":[1,{"d":null}]}]},"e":18446744073709551615,"f":-9223372036854775808})",
       R"("just a string")", "0", " [ ] ", R"({"k":1,"k":2})", R"({"":{"":[""]}})"}) {
    INFO(text);
    auto parsed = parse_bounded_json(text);
    REQUIRE(std::holds_alternative<json>(parsed));
    const json& value = std::get<json>(parsed);
    CHECK(value == json::parse(text));
    CHECK(value.dump() == json::parse(text).dump());  // same types, same key order
  }
}

TEST_CASE("bounded JSON: the cap counts containers, and holds at exactly its depth",
          "[unit][bounded_json]") {
  CHECK(std::holds_alternative<json>(parse_bounded_json(arrays(kMaxJsonDepth))));
  CHECK(failure_of(arrays(kMaxJsonDepth + 1)) == JsonFailure::too_deep);
  CHECK(std::holds_alternative<json>(parse_bounded_json(arrays(3), 3)));
  CHECK(std::holds_alternative<json>(parse_bounded_json(R"({"a":{"b":{"c":{}}}})", 4)));
  CHECK(std::get<JsonParseError>(parse_bounded_json(R"({"a":{"b":{"c":{}}}})", 3)).failure ==
        JsonFailure::too_deep);
}

TEST_CASE("bounded JSON: 100,000 levels are refused without overflowing the stack",
          "[unit][bounded_json]") {
  CHECK(failure_of(arrays(100000)) == JsonFailure::too_deep);
  std::string objects;
  for (int i = 0; i < 65000; ++i) objects += R"({"a":)";
  objects += "1" + std::string(65000, '}');
  CHECK(failure_of(objects) == JsonFailure::too_deep);
  CHECK(failure_of(std::string(100000, '[')) == JsonFailure::too_deep);  // not even closed
}

TEST_CASE("bounded JSON: each failure is named, with the byte where it is",
          "[unit][bounded_json]") {
  CHECK(failure_of(R"({"x":1e400})") == JsonFailure::number_range);
  CHECK(failure_of(R"({"x":-1e400})") == JsonFailure::number_range);
  CHECK(failure_of(std::string(400, '9')) == JsonFailure::number_range);
  CHECK(failure_of("{\"x\":\"\xff\"}") == JsonFailure::invalid_utf8);
  CHECK(failure_of(R"({"x":"\ud800"})") == JsonFailure::syntax);  // a lone surrogate
  CHECK(failure_of("") == JsonFailure::syntax);
  CHECK(failure_of("{} {}") == JsonFailure::syntax);
  CHECK(failure_of("[1,]") == JsonFailure::syntax);
  const auto error = std::get<JsonParseError>(parse_bounded_json(R"({"x":1e400})"));
  CHECK(error.byte == 10);
  CHECK(error.describe() == "the line holds a number too large for a double (error at byte 10)");
  CHECK(JsonParseError{JsonFailure::too_deep, 0}.describe() ==
        "the message nests arrays and objects more than 64 levels deep");
}
