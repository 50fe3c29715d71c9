#include <catch2/catch.hpp>

#include "server/json_schema.h"

using nlohmann::json;
using parhelia::server::validate_against_schema;

namespace {
const json kSchema = json::parse(R"({
  "type": "object",
  "properties": {
    "task": {"type": "string", "minLength": 1, "maxLength": 20},
    "gpu": {"type": "string", "enum": ["T4", "H100"]},
    "timeout_s": {"type": "integer", "minimum": 1, "maximum": 3600},
    "name": {"type": "string", "pattern": "^[a-z-]+$"},
    "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
    "limits": {"type": "object", "properties": {"usd": {"type": "number"}}, "required": ["usd"]}
  },
  "required": ["task"],
  "additionalProperties": false
})");

std::string violation(const char* value) {
  return validate_against_schema(kSchema, json::parse(value)).value_or("ok");
}
}  // namespace

TEST_CASE("schema validation accepts conforming arguments", "[unit][schema]") {
  CHECK(violation(R"({"task":"run"})") == "ok");
  CHECK(violation(
            R"({"task":"run","gpu":"T4","timeout_s":60.0,"tags":["a"],"limits":{"usd":1.5}})") ==
        "ok");
}

TEST_CASE("schema violations are sentences naming the field", "[unit][schema]") {
  CHECK(violation(R"({})") == "missing required argument 'task'");
  CHECK(violation(R"({"task":7})") == "argument 'task' must be a string, not an integer");
  CHECK(violation(R"({"task":""})") == "argument 'task' must be at least 1 characters long");
  CHECK(violation(R"({"task":"x","gpu":"A100"})") == "argument 'gpu' must be one of: T4, H100");
  CHECK(violation(R"({"task":"x","timeout_s":0})") == "argument 'timeout_s' must be at least 1");
  CHECK(violation(R"({"task":"x","timeout_s":1.5})") ==
        "argument 'timeout_s' must be an integer, not a number");
  CHECK(violation(R"({"task":"x","name":"Bad Name"})") ==
        "argument 'name' must match the pattern ^[a-z-]+$");
  CHECK(violation(R"({"task":"x","tags":["a",2]})") ==
        "argument 'tags[1]' must be a string, not an integer");
  CHECK(violation(R"({"task":"x","tags":["a","b","c"]})") ==
        "argument 'tags' must have at most 2 items");
  CHECK(violation(R"({"task":"x","limits":{}})") == "missing required argument 'limits.usd'");
  CHECK(violation(R"({"task":"x","sesion":1})") ==
        "unknown argument 'sesion'; expected one of: gpu, limits, name, tags, task, timeout_s");
  CHECK(violation(R"([])") == "the arguments must be an object, not an array");
}
