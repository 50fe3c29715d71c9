#include <catch2/catch.hpp>

#include "core/base/typed_schema.h"
#include "server/json_schema.h"

using namespace parhelia::schema;

namespace {
struct Limits {
  double usd = 0;
  static auto fields() { return std::tuple{field("usd", &Limits::usd, "Dollars")}; }
};
struct SubmitLike {
  std::string task;
  std::optional<int> timeout_s;
  std::vector<std::string> tags;
  std::optional<Limits> limits;
  std::map<std::string, std::string> env;
  static auto fields() {
    return std::tuple{field("task", &SubmitLike::task, "What to do", {{"minLength", 1}}),
                      field("timeout_s", &SubmitLike::timeout_s, "Seconds", {{"minimum", 1}}),
                      field("tags", &SubmitLike::tags, "Labels"),
                      field("limits", &SubmitLike::limits, "Caps"),
                      field("env", &SubmitLike::env, "Variables")};
  }
};
}  // namespace

TEST_CASE("a struct's field list yields its JSON Schema", "[unit][schema]") {
  const json schema = schema_of<SubmitLike>();
  CHECK(schema["type"] == "object");
  CHECK(schema["additionalProperties"] == false);
  CHECK(schema["required"] == json::array({"task", "tags", "env"}));
  CHECK(schema["properties"]["task"] ==
        json({{"type", "string"}, {"description", "What to do"}, {"minLength", 1}}));
  CHECK(schema["properties"]["timeout_s"]["type"] == "integer");
  CHECK(schema["properties"]["tags"]["items"]["type"] == "string");
  CHECK(schema["properties"]["limits"]["properties"]["usd"]["type"] == "number");
  CHECK(schema["properties"]["env"]["additionalProperties"]["type"] == "string");
}

TEST_CASE("decode and encode round-trip through the same field list", "[unit][schema]") {
  const json input =
      json::parse(R"({"task":"t","tags":["a","b"],"env":{"K":"V"},"limits":{"usd":2.5}})");
  REQUIRE_FALSE(parhelia::server::validate_against_schema(schema_of<SubmitLike>(), input));
  SubmitLike value;
  decode(input, value);
  CHECK(value.task == "t");
  CHECK_FALSE(value.timeout_s);
  CHECK(value.tags == std::vector<std::string>{"a", "b"});
  CHECK(value.limits->usd == 2.5);
  CHECK(value.env.at("K") == "V");
  CHECK(encode(value) == input);  // absent optionals stay absent
}
