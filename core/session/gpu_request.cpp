#include "core/session/gpu_request.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

namespace parhelia::core {
namespace {

const std::set<std::string> kTypes = {"T4",        "L4",   "A10",  "A10G", "L40S", "A100-40GB",
                                      "A100-80GB", "H100", "H200", "B200", "A100"};

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return std::toupper(c); });
  return text;
}

std::set<std::string> tokens(const std::string& text) {
  std::set<std::string> words;
  std::string word;
  for (char c : upper(text) + " ") {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      word += c;
    } else if (!word.empty()) {
      words.insert(word);
      word.clear();
    }
  }
  return words;
}

}  // namespace

std::vector<std::string> gpu_type_names() {
  return {kTypes.begin(), kTypes.end()};
}

// "A100-80GB" fits "NVIDIA A100-SXM4-80GB"; "A10" fits "NVIDIA A10G" but not "A100".
bool gpu_fits(const std::string& type, const std::string& gpu_name) {
  const auto words = tokens(gpu_name);
  std::istringstream parts(type);
  for (std::string part; std::getline(parts, part, '-');) {
    const bool found = words.count(part) > 0 || (part == "A10" && words.count("A10G") > 0) ||
                       (part == "A10G" && words.count("A10") > 0);
    if (!found) return false;
  }
  return true;
}

Result<GpuRequest> parse_gpu_request(const std::string& spec) {
  GpuRequest request;
  if (spec.empty()) return request;
  const auto colon = spec.find(':');
  std::string type = upper(spec.substr(0, colon));
  std::string count = colon == std::string::npos ? "" : spec.substr(colon + 1);
  if (!type.empty() && std::all_of(type.begin(), type.end(), ::isdigit) &&
      colon == std::string::npos) {
    count = type;
    type.clear();
  }
  if (!type.empty() && kTypes.count(type) == 0) {
    return Error{ErrorCode::invalid_input, "Unknown GPU type '" + spec + "'.",
                 "Use one of T4, L4, A10G, L40S, A100-40GB, A100-80GB, H100, H200, B200, "
                 "optionally with a count "
                 "such as H100:2."};
  }
  request.type = type;
  request.count = 1;
  if (!count.empty()) {
    const bool digits = std::all_of(count.begin(), count.end(), ::isdigit) && count.size() <= 2;
    request.count = digits ? std::stoi(count) : 0;
    const int most = (type == "A10" || type == "A10G") ? 4 : 8;
    if (request.count < 1 || request.count > most) {
      return Error{ErrorCode::invalid_input, "GPU count '" + count + "' is not possible.",
                   "Ask for 1 to " + std::to_string(most) + " GPUs, e.g. " +
                       (type.empty() ? "H100" : type) + ":2."};
    }
  }
  return request;
}

}  // namespace parhelia::core
