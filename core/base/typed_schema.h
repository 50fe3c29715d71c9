// Typed arguments and results for tools, in the manner of the official MCP SDKs: a plain struct
// lists its fields once, and its JSON Schema, its decoding and its encoding all come from that
// one list, so schema and code cannot drift apart. It lives in core/ because both faces use it:
// the MCP server derives tool schemas from it, the views (core/views) and the CLI's --json encode
// with it. It needs only nlohmann json, and it is the one header server/ includes from core/.
//
//   struct LogsArgs {
//     std::string session_id;
//     std::optional<int> tail;
//     static auto fields() {
//       return std::tuple{field("session_id", &LogsArgs::session_id, "The session, task-xxxxxxxx"),
//                         field("tail", &LogsArgs::tail, "Last N lines", {{"minimum", 1}})};
//     }
//   };
//
// Supported member types: std::string, bool, integers, floating point, nlohmann::json (any),
// std::optional<T> (not required), std::vector<T>, std::map<std::string, T>, and nested
// structs that have fields() themselves; flat() includes another struct's fields flat.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

namespace parhelia::schema {

using json = nlohmann::json;

template <class Struct, class Member>
struct Field {
  std::string_view name;
  Member Struct::*member;
  std::string_view description;
  json constraints;  // extra keywords merged into the property's schema: enum, minimum, pattern…
};

template <class Struct, class Member>
Field<Struct, Member> field(std::string_view name, Member Struct::*member,
                            std::string_view description, json constraints = json::object()) {
  return {name, member, description, std::move(constraints)};
}

// Another struct's fields, flat among this one's: the properties of the struct held in `member`
// stand beside the others in the schema and in the JSON, as if declared here. `fields` is that
// struct's list, its fields() or one made for the including struct (other descriptions):
//   flat(&SubmitArgs::resources, ResourceArgs::fields_with({.gpu = "GPU as TYPE…", …}))
template <class Struct, class Inner, class Fields>
struct Flat {
  Inner Struct::*member;
  Fields fields;
};

template <class Struct, class Inner, class Fields>
Flat<Struct, Inner, Fields> flat(Inner Struct::*member, Fields fields) {
  return {member, std::move(fields)};
}

template <class T>
concept Described = requires {
  T::fields();
};

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};
template <class T>
struct is_string_map : std::false_type {};
template <class T>
struct is_string_map<std::map<std::string, T>> : std::true_type {};

template <class T>
json schema_of();
template <class T>
std::optional<std::string> decode(const json& in, T& out, const std::string& path = "");
template <class T>
json encode(const T& value);

// A field list at work: each Field, and the fields of each Flat, in order.
template <class Fields>
void describe_fields(const Fields& fields, json& properties, json& required);
template <class Struct, class Fields>
void decode_fields(const json& in, Struct& out, const Fields& fields, const std::string& path,
                   std::optional<std::string>& problem);
template <class Struct, class Fields>
void encode_fields(const Struct& value, const Fields& fields, json& out);

template <class T>
json schema_of() {
  if constexpr (is_optional<T>::value) {
    return schema_of<typename T::value_type>();
  } else if constexpr (std::is_same_v<T, json>) {
    return json::object();
  } else if constexpr (std::is_same_v<T, std::string>) {
    return {{"type", "string"}};
  } else if constexpr (std::is_same_v<T, bool>) {
    return {{"type", "boolean"}};
  } else if constexpr (std::is_integral_v<T>) {
    return {{"type", "integer"}};
  } else if constexpr (std::is_floating_point_v<T>) {
    return {{"type", "number"}};
  } else if constexpr (is_vector<T>::value) {
    return {{"type", "array"}, {"items", schema_of<typename T::value_type>()}};
  } else if constexpr (is_string_map<T>::value) {
    return {{"type", "object"}, {"additionalProperties", schema_of<typename T::mapped_type>()}};
  } else {
    static_assert(Described<T>, "a typed tool struct needs a static fields() list");
    json properties = json::object();
    json required = json::array();
    describe_fields(T::fields(), properties, required);
    json result = {{"type", "object"}, {"properties", std::move(properties)}};
    if (!required.empty()) result["required"] = std::move(required);
    result["additionalProperties"] = false;
    return result;
  }
}

template <class Fields>
void describe_fields(const Fields& fields, json& properties, json& required) {
  std::apply([&](const auto&... f) { (describe_field(f, properties, required), ...); }, fields);
}

template <class Struct, class Member>
void describe_field(const Field<Struct, Member>& f, json& properties, json& required) {
  json property = schema_of<Member>();
  if (!f.description.empty()) property["description"] = std::string(f.description);
  property.update(f.constraints);
  if constexpr (!is_optional<Member>::value) required.push_back(std::string(f.name));
  properties[std::string(f.name)] = std::move(property);
}

template <class Struct, class Inner, class Fields>
void describe_field(const Flat<Struct, Inner, Fields>& f, json& properties, json& required) {
  describe_fields(f.fields, properties, required);
}

// Whether a JSON number is a whole number that T holds exactly. JSON Schema's "integer" only
// says whole; 1e19 or 18446744073709551615 pass it, and a plain get<T>() would wrap them (or,
// from a double, be undefined behaviour).
template <class T>
bool fits_integer(const json& in) {
  using limits = std::numeric_limits<T>;
  if (in.is_number_unsigned()) {
    return in.get<json::number_unsigned_t>() <= static_cast<std::uint64_t>(limits::max());
  }
  if (in.is_number_integer()) {
    const auto value = in.get<json::number_integer_t>();
    if constexpr (std::is_signed_v<T>) return value >= limits::min() && value <= limits::max();
    return value >= 0 && static_cast<std::uint64_t>(value) <= limits::max();
  }
  if (!in.is_number_float()) return false;
  const double value = in.get<double>();
  // limits::max() + 1 is a power of two, exact as a double; max() itself may not be.
  return std::floor(value) == value && value >= static_cast<double>(limits::min()) &&
         value < static_cast<double>(limits::max() / 2 + 1) * 2.0;
}

// Decoding assumes the value was validated against schema_of<T>() first; what the schema
// cannot say (that a whole number fits the member's C++ type) is checked here. Returns the
// first problem, naming the field, or nothing.
template <class T>
std::optional<std::string> decode(const json& in, T& out, const std::string& path) {
  if constexpr (is_optional<T>::value) {
    if (in.is_null()) {
      out.reset();
      return std::nullopt;
    }
    return decode(in, out.emplace(), path);
  } else if constexpr (std::is_same_v<T, json>) {
    out = in;
  } else if constexpr (is_vector<T>::value) {
    out.clear();
    for (const auto& item : in) {
      const std::string where = path + "[" + std::to_string(out.size()) + "]";
      if (auto problem = decode(item, out.emplace_back(), where)) return problem;
    }
  } else if constexpr (is_string_map<T>::value) {
    out.clear();
    for (const auto& [key, item] : in.items()) {
      if (auto problem = decode(item, out[key], path.empty() ? key : path + "." + key))
        return problem;
    }
  } else if constexpr (Described<T>) {
    std::optional<std::string> problem;
    decode_fields(in, out, T::fields(), path, problem);
    return problem;
  } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    if (!fits_integer<T>(in)) {
      return "argument '" + path + "' must be a whole number from " +
             std::to_string(std::numeric_limits<T>::min()) + " to " +
             std::to_string(std::numeric_limits<T>::max());
    }
    out = in.is_number_float() ? static_cast<T>(in.get<double>()) : in.get<T>();
  } else {
    out = in.get<T>();
  }
  return std::nullopt;
}

template <class T>
json encode(const T& value) {
  if constexpr (is_optional<T>::value) {
    return value ? encode(*value) : json();
  } else if constexpr (std::is_same_v<T, json>) {
    return value;
  } else if constexpr (is_vector<T>::value) {
    json out = json::array();
    for (const auto& item : value) out.push_back(encode(item));
    return out;
  } else if constexpr (is_string_map<T>::value) {
    json out = json::object();
    for (const auto& [key, item] : value) out[key] = encode(item);
    return out;
  } else if constexpr (Described<T>) {
    json out = json::object();
    encode_fields(value, T::fields(), out);
    return out;
  } else {
    return json(value);
  }
}

template <class Struct, class Member>
void decode_field(const json& in, Struct& out, const Field<Struct, Member>& f,
                  const std::string& path, std::optional<std::string>& problem) {
  const std::string name(f.name);
  if (problem || !in.contains(name)) return;
  problem = decode(in.at(name), out.*(f.member), path.empty() ? name : path + "." + name);
}

template <class Struct, class Inner, class Fields>
void decode_field(const json& in, Struct& out, const Flat<Struct, Inner, Fields>& f,
                  const std::string& path, std::optional<std::string>& problem) {
  decode_fields(in, out.*(f.member), f.fields, path, problem);
}

template <class Struct, class Fields>
void decode_fields(const json& in, Struct& out, const Fields& fields, const std::string& path,
                   std::optional<std::string>& problem) {
  std::apply([&](const auto&... f) { (decode_field(in, out, f, path, problem), ...); }, fields);
}

template <class Struct, class Member>
void encode_field(const Struct& value, const Field<Struct, Member>& f, json& out) {
  json encoded = encode(value.*(f.member));
  if (!encoded.is_null()) out[std::string(f.name)] = std::move(encoded);
}

template <class Struct, class Inner, class Fields>
void encode_field(const Struct& value, const Flat<Struct, Inner, Fields>& f, json& out) {
  encode_fields(value.*(f.member), f.fields, out);
}

template <class Struct, class Fields>
void encode_fields(const Struct& value, const Fields& fields, json& out) {
  std::apply([&](const auto&... f) { (encode_field(value, f, out), ...); }, fields);
}

// A tool that takes no arguments.
struct NoArgs {
  static auto fields() { return std::tuple<>{}; }
};

}  // namespace parhelia::schema
