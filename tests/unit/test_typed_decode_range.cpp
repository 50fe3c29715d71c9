// JSON Schema's "integer" says only "whole": 1e19 and 18446744073709551615 pass it. Decoding a
// tool's arguments refuses a whole number its member cannot hold, naming the field, instead of
// wrapping it (or, from a double, undefined behaviour).
#include <catch2/catch.hpp>
#include <cstdint>

#include "core/base/typed_schema.h"
#include "server/json_schema.h"

using namespace parhelia::schema;

namespace {
struct Inner {
  std::int32_t small = 0;
  static auto fields() { return std::tuple{field("small", &Inner::small, "An int")}; }
};
struct Args {
  std::optional<std::int64_t> offset;
  std::vector<std::uint16_t> ports;
  std::optional<Inner> inner;
  static auto fields() {
    return std::tuple{field("offset", &Args::offset, "Bytes", {{"minimum", 0}}),
                      field("ports", &Args::ports, "Ports"),
                      field("inner", &Args::inner, "Nested")};
  }
};

std::optional<std::string> decode_text(const char* text) {
  const json input = json::parse(text);
  REQUIRE_FALSE(parhelia::server::validate_against_schema(schema_of<Args>(), input));
  Args args;
  return decode(input, args);
}
}  // namespace

TEST_CASE("decode refuses whole numbers beyond the member's type, naming the field",
          "[unit][schema]") {
  CHECK(decode_text(R"({"ports":[],"offset":1e19})") ==
        "argument 'offset' must be a whole number from -9223372036854775808 to "
        "9223372036854775807");
  CHECK(decode_text(R"({"ports":[],"offset":18446744073709551615})"));
  CHECK(decode_text(R"({"ports":[],"offset":9223372036854775808})"));
  CHECK(decode_text(R"({"ports":[],"offset":9.3e18})"));
  CHECK(decode_text(R"({"ports":[1,65536]})") ==
        "argument 'ports[1]' must be a whole number from 0 to 65535");
  CHECK(decode_text(R"({"ports":[-1]})"));
  CHECK(decode_text(R"({"ports":[],"inner":{"small":2147483648}})") ==
        "argument 'inner.small' must be a whole number from -2147483648 to 2147483647");
}

TEST_CASE("decode takes every whole number the member holds, as integer or as 2.0",
          "[unit][schema]") {
  Args args;
  CHECK_FALSE(decode(json::parse(R"({"ports":[0,65535,8.0],"offset":9223372036854775807,)"
                                 R"("inner":{"small":-2147483648}})"),
                     args));
  CHECK(*args.offset == INT64_MAX);
  CHECK(args.ports == std::vector<std::uint16_t>{0, 65535, 8});
  CHECK(args.inner->small == INT32_MIN);
  CHECK_FALSE(decode(json::parse(R"({"ports":[],"offset":4.0e18})"), args));
  CHECK(*args.offset == 4000000000000000000LL);
}
