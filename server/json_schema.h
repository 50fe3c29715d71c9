// Validates JSON values against the subset of JSON Schema (2020-12) that Parhelia's tools
// declare: type, properties, required, additionalProperties, items, enum, minimum/maximum,
// minLength/maxLength, pattern, minItems/maxItems. Errors are sentences naming the field.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace parhelia::server {

// Returns the first violation, e.g. "argument 'timeout_s' must be an integer, not a string",
// or nothing when `value` conforms.
std::optional<std::string> validate_against_schema(const nlohmann::json& schema,
                                                   const nlohmann::json& value);

}  // namespace parhelia::server
