#include "server/json_schema.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <regex>

namespace parhelia::server {
namespace {

using json = nlohmann::json;

std::string kind_of(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::string:
      return "a string";
    case json::value_t::array:
      return "an array";
    case json::value_t::object:
      return "an object";
    case json::value_t::number_float:
      return "a number";
    default:
      return "an integer";
  }
}

bool has_type(const json& value, const std::string& type) {
  if (type == "string") return value.is_string();
  if (type == "boolean") return value.is_boolean();
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "null") return value.is_null();
  if (type == "number") return value.is_number();
  if (type == "integer") {
    if (value.is_number_integer()) return true;
    if (!value.is_number_float()) return false;
    const double d = value.get<double>();
    return std::isfinite(d) && std::floor(d) == d;  // 2.0 is an integer in JSON Schema
  }
  return false;
}

std::string article(const std::string& type) {
  return (type == "integer" || type == "object" || type == "array") ? "an " + type : "a " + type;
}

const std::regex& cached_regex(const std::string& pattern) {
  static std::mutex mutex;
  static std::map<std::string, std::regex> cache;
  std::lock_guard lock(mutex);
  auto it = cache.find(pattern);
  if (it == cache.end())
    it = cache.emplace(pattern, std::regex(pattern, std::regex::ECMAScript)).first;
  return it->second;
}

std::string join(const json& values) {
  std::string out;
  for (const auto& v : values) {
    if (!out.empty()) out += ", ";
    out += v.is_string() ? v.get<std::string>() : v.dump();
  }
  return out;
}

class Validator {
 public:
  std::optional<std::string> check(const json& schema, const json& value, const std::string& path) {
    if (!schema.is_object()) return std::nullopt;
    if (auto error = check_type(schema, value, path)) return error;
    if (const auto it = schema.find("enum");
        it != schema.end() && std::find(it->begin(), it->end(), value) == it->end()) {
      return name(path) + " must be one of: " + join(*it);
    }
    if (value.is_number()) return check_number(schema, value.get<double>(), path);
    if (value.is_string()) return check_string(schema, value.get<std::string>(), path);
    if (value.is_array()) return check_array(schema, value, path);
    if (value.is_object()) return check_object(schema, value, path);
    return std::nullopt;
  }

 private:
  static std::string name(const std::string& path) {
    return path.empty() ? "the arguments" : "argument '" + path + "'";
  }

  std::optional<std::string> check_type(const json& schema, const json& value,
                                        const std::string& path) {
    const auto it = schema.find("type");
    if (it == schema.end()) return std::nullopt;
    std::vector<std::string> types;
    if (it->is_string()) types.push_back(it->get<std::string>());
    if (it->is_array()) types = it->get<std::vector<std::string>>();
    for (const auto& type : types) {
      if (has_type(value, type)) return std::nullopt;
    }
    std::string wanted;
    for (const auto& type : types) wanted += (wanted.empty() ? "" : " or ") + article(type);
    return name(path) + " must be " + wanted + ", not " + kind_of(value);
  }

  std::optional<std::string> check_number(const json& schema, double number,
                                          const std::string& path) {
    if (schema.contains("minimum") && number < schema["minimum"].get<double>()) {
      return name(path) + " must be at least " + schema["minimum"].dump();
    }
    if (schema.contains("maximum") && number > schema["maximum"].get<double>()) {
      return name(path) + " must be at most " + schema["maximum"].dump();
    }
    return std::nullopt;
  }

  std::optional<std::string> check_string(const json& schema, const std::string& text,
                                          const std::string& path) {
    if (schema.contains("minLength") && text.size() < schema["minLength"].get<std::size_t>()) {
      return name(path) + " must be at least " + schema["minLength"].dump() + " characters long";
    }
    if (schema.contains("maxLength") && text.size() > schema["maxLength"].get<std::size_t>()) {
      return name(path) + " must be at most " + schema["maxLength"].dump() + " characters long";
    }
    if (schema.contains("pattern") &&
        !std::regex_search(text, cached_regex(schema["pattern"].get<std::string>()))) {
      return name(path) + " must match the pattern " + schema["pattern"].get<std::string>();
    }
    return std::nullopt;
  }

  std::optional<std::string> check_array(const json& schema, const json& items,
                                         const std::string& path) {
    if (schema.contains("minItems") && items.size() < schema["minItems"].get<std::size_t>()) {
      return name(path) + " must have at least " + schema["minItems"].dump() + " items";
    }
    if (schema.contains("maxItems") && items.size() > schema["maxItems"].get<std::size_t>()) {
      return name(path) + " must have at most " + schema["maxItems"].dump() + " items";
    }
    if (const auto it = schema.find("items"); it != schema.end()) {
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (auto error = check(*it, items[i], path + "[" + std::to_string(i) + "]")) return error;
      }
    }
    return std::nullopt;
  }

  std::optional<std::string> check_object(const json& schema, const json& object,
                                          const std::string& path) {
    const std::string prefix = path.empty() ? "" : path + ".";
    const json properties = schema.value("properties", json::object());
    for (const auto& required : schema.value("required", json::array())) {
      if (!object.contains(required.get<std::string>())) {
        return "missing required argument '" + prefix + required.get<std::string>() + "'";
      }
    }
    const json additional = schema.value("additionalProperties", json(true));
    for (const auto& [key, value] : object.items()) {
      if (const auto property = properties.find(key); property != properties.end()) {
        if (auto error = check(*property, value, prefix + key)) return error;
      } else if (additional == false) {
        std::string known;
        for (const auto& [k, v] : properties.items()) known += (known.empty() ? "" : ", ") + k;
        return "unknown argument '" + prefix + key + "'" +
               (known.empty() ? "; this takes no arguments" : "; expected one of: " + known);
      } else if (additional.is_object()) {
        if (auto error = check(additional, value, prefix + key)) return error;
      }
    }
    return std::nullopt;
  }
};

}  // namespace

std::optional<std::string> validate_against_schema(const json& schema, const json& value) {
  return Validator().check(schema, value, "");
}

}  // namespace parhelia::server
