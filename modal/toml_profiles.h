// ~/.modal.toml as Modal's clients write it: one table per profile (`[work]`), each holding
// `key = value` lines (token_id, token_secret, server_url, environment, active, ...). Read as
// the small part of TOML such a file uses: tables, bare or quoted keys, strings (basic with
// escapes, literal), booleans and integers, comments. The file is the user's, but any bytes
// give profiles or an error with a line number, never a crash; an error never quotes a value
// (a value may be a secret).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/base/result.h"

namespace parhelia::modal {

// profile name -> key -> value (booleans and integers as their text: "true", "42").
using TomlProfiles = std::map<std::string, std::map<std::string, std::string>>;

inline constexpr std::size_t max_toml_bytes = 1u << 20;

// What is wrong and on which line, e.g. "line 3: a string is not closed".
core::Result<TomlProfiles> parse_toml_profiles(std::string_view text);

}  // namespace parhelia::modal
