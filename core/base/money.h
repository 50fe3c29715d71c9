// Money held exactly: amounts in integer micro-dollars, prices in integer pico-dollars per unit
// (a sandbox core-second costs 39,420,000 pico-dollars; a cache-read token of a small model
// 10,000), quantities in integer thousandths of their unit. Sums of amounts are sums of
// integers; only a single product is ever rounded, once, half up.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace parhelia::core {

using Micros = std::int64_t;  // micro-dollars: $1 = 1,000,000
using Picos = std::int64_t;   // pico-dollars per unit of a resource: $1 = 10^12

constexpr Micros kMicrosPerDollar = 1'000'000;
constexpr Picos kPicosPerDollar = 1'000'000'000'000;

// The cost of `quantity_milli` thousandths of a unit at `price` per unit, rounded half up.
Micros cost_of(std::int64_t quantity_milli, Picos price);

// Dollars (from a person, a config file or JSON) to exact units; nothing for a negative, non-
// finite or absurd (over $1,000,000,000) value.
std::optional<Micros> micros_from_dollars(double dollars);
std::optional<Picos> picos_from_dollars(double dollars);
double dollars(Micros amount);
// Dollars as a view holds them back to micro-dollars, rounded (any sign; for display).
Micros rounded_micros(double dollars);
// A unit price in dollars.
double price_dollars(Picos price);

// Quantities as people give and read them (cores, GiB, units of a ledger row) to and from
// thousandths, rounded to the nearest.
std::int64_t milli_of(double units);
double units_of(std::int64_t milli);

// "$12.34" (to the cent), or "$0.000123" for an amount under a cent.
std::string format_usd(Micros amount);
// A unit price: "$0.001097", "$3.00" per unit, with as many decimals as it needs (up to 12).
std::string format_price(Picos price);

}  // namespace parhelia::core
