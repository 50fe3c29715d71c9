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
struct Sizes {
  std::optional<int> cpu;
  int memory = 0;
  static auto fields_with(std::string_view cpu_words) {
    return std::tuple{field("cpu", &Sizes::cpu, cpu_words, {{"minimum", 1}}),
                      field("memory", &Sizes::memory, "GiB")};
  }
};
struct WithSizes {
  std::string name;
  Sizes sizes;
  static auto fields() {
    return std::tuple{field("name", &WithSizes::name, "Its name"),
                      flat(&WithSizes::sizes, Sizes::fields_with("Cores here"))};
  }
};
}  // namespace

TEST_CASE("flat() puts another struct's fields beside the others, in schema and JSON",
          "[unit][schema]") {
  const json schema = schema_of<WithSizes>();
  CHECK(schema["properties"] ==
        json{{"name", {{"type", "string"}, {"description", "Its name"}}},
             {"cpu", {{"type", "integer"}, {"description", "Cores here"}, {"minimum", 1}}},
             {"memory", {{"type", "integer"}, {"description", "GiB"}}}});
  CHECK(schema["required"] == json{"name", "memory"});
  WithSizes decoded;
  REQUIRE_FALSE(decode(json{{"name", "a"}, {"cpu", 3}, {"memory", 8}}, decoded));
  CHECK(decoded.name == "a");
  CHECK(decoded.sizes.cpu == 3);
  CHECK(decoded.sizes.memory == 8);
  CHECK(encode(decoded) == json{{"name", "a"}, {"cpu", 3}, {"memory", 8}});
  const auto problem = decode(json{{"name", "a"}, {"cpu", 1e12}, {"memory", 8}}, decoded);
  REQUIRE(problem);
  CHECK(problem->find("'cpu'") != std::string::npos);
}

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
