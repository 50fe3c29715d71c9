// How terminal commands print: human text by default, one JSON document with --json.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace parhelia::cli {

void print_json(const nlohmann::json& value);
// A failure for a person: "parhelia: <sentence>" on stderr, as one line (terminal_line).
void print_error(const std::string& sentence);

}  // namespace parhelia::cli
