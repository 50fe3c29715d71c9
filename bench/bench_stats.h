// Median and p99 of a set of measurements (timings in µs unless a unit is given), printed one
// line per measurement.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

namespace parhelia::bench {

inline void report(const char* name, std::vector<double> micros, const char* unit = "us") {
  std::sort(micros.begin(), micros.end());
  const auto at = [&](double q) {
    return micros[std::min(micros.size() - 1,
                           static_cast<std::size_t>(q * static_cast<double>(micros.size())))];
  };
  std::printf("%-40s n=%-6zu median %9.1f %s   p99 %9.1f %s\n", name, micros.size(), at(0.5), unit,
              at(0.99), unit);
}

inline std::vector<double> measure(int runs, const std::function<void()>& body) {
  std::vector<double> micros;
  micros.reserve(static_cast<std::size_t>(runs));
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    body();
    micros.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count());
  }
  return micros;
}

}  // namespace parhelia::bench
