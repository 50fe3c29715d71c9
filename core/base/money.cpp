#include "core/base/money.h"

#include <cmath>

namespace parhelia::core {
namespace {

// Products of a quantity and a price can pass 2^63 before they are scaled down; GCC's and
// Clang's 128-bit integers hold them exactly (__extension__: not ISO C++, said on purpose).
__extension__ typedef __int128 Wide;
__extension__ typedef unsigned __int128 WideUnsigned;

constexpr double kMostDollars = 1e9;

// Decimal text of value / 10^scale, trimmed of trailing zeros beyond `min_decimals`.
std::string decimal(std::int64_t value, int scale, int min_decimals) {
  const bool negative = value < 0;
  const WideUnsigned magnitude = negative ? -static_cast<Wide>(value) : value;
  WideUnsigned unit = 1;
  for (int i = 0; i < scale; ++i) unit *= 10;
  const auto whole = static_cast<std::uint64_t>(magnitude / unit);
  std::string fraction = std::to_string(static_cast<std::uint64_t>(magnitude % unit));
  fraction.insert(0, static_cast<std::size_t>(scale) - fraction.size(), '0');
  while (static_cast<int>(fraction.size()) > min_decimals && fraction.back() == '0')
    fraction.pop_back();
  std::string text = (negative ? "-$" : "$") + std::to_string(whole);
  if (!fraction.empty()) text += "." + fraction;
  return text;
}

std::optional<std::int64_t> scaled(double dollars, double scale) {
  if (!std::isfinite(dollars) || dollars < 0 || dollars > kMostDollars) return std::nullopt;
  return static_cast<std::int64_t>(std::llround(dollars * scale));
}

}  // namespace

Micros cost_of(std::int64_t quantity_milli, Picos price) {
  // quantity/1000 units × price/10^12 dollars = quantity × price / 10^15 dollars
  //                                            = quantity × price / 10^9 micro-dollars.
  const Wide product = static_cast<Wide>(quantity_milli) * price;
  constexpr Wide kDivisor = 1'000'000'000;
  const Wide rounded =
      product >= 0 ? (product + kDivisor / 2) / kDivisor : -((-product + kDivisor / 2) / kDivisor);
  return static_cast<Micros>(rounded);
}

std::optional<Micros> micros_from_dollars(double dollars) {
  return scaled(dollars, static_cast<double>(kMicrosPerDollar));
}

std::optional<Picos> picos_from_dollars(double dollars) {
  return scaled(dollars, static_cast<double>(kPicosPerDollar));
}

double dollars(Micros amount) {
  return static_cast<double>(amount) / static_cast<double>(kMicrosPerDollar);
}

std::string format_usd(Micros amount) {
  // Cents for sums a person reads; amounts under a cent keep their digits ("$0.000123").
  const Micros magnitude = amount < 0 ? -amount : amount;
  if (magnitude >= 10'000 || magnitude == 0) {
    const Micros cents = (magnitude + 5'000) / 10'000;
    return decimal(amount < 0 ? -cents : cents, 2, 2);
  }
  return decimal(amount, 6, 2);
}

std::string format_price(Picos price) {
  return decimal(price, 12, 2);
}

Micros rounded_micros(double dollars) {
  return static_cast<Micros>(std::llround(dollars * static_cast<double>(kMicrosPerDollar)));
}

double price_dollars(Picos price) {
  return static_cast<double>(price) / static_cast<double>(kPicosPerDollar);
}

std::int64_t milli_of(double units) {
  return std::llround(units * 1000);
}

double units_of(std::int64_t milli) {
  return static_cast<double>(milli) / 1000.0;
}

}  // namespace parhelia::core
