#include "server/completion.h"

namespace parhelia::server {

std::vector<std::string> starting_with(const std::vector<std::string>& values,
                                       const std::string& prefix) {
  std::vector<std::string> matches;
  for (const auto& value : values) {
    if (value.compare(0, prefix.size(), prefix) == 0) matches.push_back(value);
  }
  return matches;
}

json completion_result(const std::vector<std::string>& values) {
  constexpr std::size_t kMaxValues = 100;
  json shown = json::array();
  for (std::size_t i = 0; i < values.size() && i < kMaxValues; ++i) shown.push_back(values[i]);
  return {{"completion",
           {{"values", std::move(shown)},
            {"total", values.size()},
            {"hasMore", values.size() > kMaxValues}}}};
}

}  // namespace parhelia::server
