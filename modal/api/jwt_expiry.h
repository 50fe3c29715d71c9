// When a JWT that Modal issued expires (its payload's `exp`), read without checking the
// signature: the token is Modal's to verify; Parhelia only needs to know when to fetch a new
// one. The token is untrusted input: any bytes give a time or nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace parhelia::modal {

// Seconds since the epoch, or nothing when the token is not a JWT with an integer `exp`.
std::optional<std::int64_t> jwt_expiry(std::string_view token);

}  // namespace parhelia::modal
