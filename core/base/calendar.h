// Budget periods are UTC days and months (as Modal bills), named by days since 1970-01-01.
#pragma once

#include <cstdint>
#include <string>

namespace parhelia::core {

std::int64_t utc_day(std::int64_t ms);  // the day a moment falls on
std::int64_t first_day_of_month(std::int64_t day);
std::string iso_date(std::int64_t day);   // "2026-11-24"
std::string iso_month(std::int64_t day);  // "2026-11"
std::int64_t day_start_ms(std::int64_t day);

}  // namespace parhelia::core
