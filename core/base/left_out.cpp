#include "core/base/left_out.h"

#include <cstdio>

namespace parhelia::core {

std::string size_words(std::uint64_t bytes) {
  constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return std::to_string(bytes) + " bytes";
  double value = static_cast<double>(bytes) / 1024;
  int unit = 0;
  while (value >= 1024 && unit < 3) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  if (value == static_cast<double>(static_cast<std::uint64_t>(value)) || value >= 100) {
    std::snprintf(text, sizeof text, "%.0f %s", value, kUnits[unit]);
  } else {
    std::snprintf(text, sizeof text, "%.1f %s", value, kUnits[unit]);
  }
  return text;
}

std::string left_out_sentence(const std::vector<LeftOut>& left_out) {
  constexpr std::size_t kNamed = 5;
  std::string sentence = "left out of the checkpoint: ";
  for (std::size_t i = 0; i < left_out.size() && i < kNamed; ++i) {
    if (i > 0) sentence += "; ";
    sentence += left_out[i].path + " (" + left_out[i].why + ")";
  }
  if (left_out.size() > kNamed)
    sentence += "; and " + std::to_string(left_out.size() - kNamed) + " more";
  return sentence + ". The session's own files are untouched.";
}

}  // namespace parhelia::core
