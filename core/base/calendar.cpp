#include "core/base/calendar.h"

#include <chrono>
#include <cstdio>

namespace parhelia::core {
namespace {

constexpr std::int64_t kMsPerDay = 86'400'000;

std::chrono::year_month_day date_of(std::int64_t day) {
  return std::chrono::year_month_day{std::chrono::sys_days{std::chrono::days{day}}};
}

}  // namespace

std::int64_t utc_day(std::int64_t ms) {
  return ms >= 0 ? ms / kMsPerDay : -((-ms + kMsPerDay - 1) / kMsPerDay);
}

std::int64_t first_day_of_month(std::int64_t day) {
  const auto date = date_of(day);
  const std::chrono::sys_days first{date.year() / date.month() / std::chrono::day{1}};
  return first.time_since_epoch().count();
}

std::string iso_date(std::int64_t day) {
  const auto date = date_of(day);
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return text;
}

std::string iso_month(std::int64_t day) {
  return iso_date(day).substr(0, 7);
}

std::int64_t day_start_ms(std::int64_t day) {
  return day * kMsPerDay;
}

}  // namespace parhelia::core
