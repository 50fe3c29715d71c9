#include "server/uri_template.h"

#include <stdexcept>

namespace parhelia::server {

UriTemplate::UriTemplate(std::string pattern) : pattern_(std::move(pattern)) {
  std::size_t at = 0;
  while (at < pattern_.size()) {
    const auto open = pattern_.find('{', at);
    if (open == std::string::npos) {
      parts_.push_back({false, pattern_.substr(at)});
      break;
    }
    const auto close = pattern_.find('}', open);
    if (close == std::string::npos || close == open + 1) {
      throw std::invalid_argument("malformed URI template: " + pattern_);
    }
    if (open > at) parts_.push_back({false, pattern_.substr(at, open - at)});
    parts_.push_back({true, pattern_.substr(open + 1, close - open - 1)});
    at = close + 1;
  }
}

std::optional<UriVariables> UriTemplate::match(const std::string& uri) const {
  UriVariables variables;
  std::size_t at = 0;
  for (std::size_t i = 0; i < parts_.size(); ++i) {
    const Part& part = parts_[i];
    if (!part.variable) {
      if (uri.compare(at, part.text.size(), part.text) != 0) return std::nullopt;
      at += part.text.size();
      continue;
    }
    auto end = uri.find('/', at);
    if (end == std::string::npos) end = uri.size();
    // A variable followed by a literal ends where that literal starts within the segment.
    if (i + 1 < parts_.size()) {
      const auto literal = uri.find(parts_[i + 1].text, at);
      if (literal != std::string::npos && literal < end) end = literal;
    }
    if (end == at) return std::nullopt;
    variables[part.text] = uri.substr(at, end - at);
    at = end;
  }
  if (at != uri.size()) return std::nullopt;
  return variables;
}

std::string UriTemplate::expand(const UriVariables& variables) const {
  std::string uri;
  for (const auto& part : parts_) {
    if (!part.variable) {
      uri += part.text;
    } else if (const auto it = variables.find(part.text); it != variables.end()) {
      uri += it->second;
    }
  }
  return uri;
}

bool UriTemplate::has_variable(const std::string& name) const {
  for (const auto& part : parts_) {
    if (part.variable && part.text == name) return true;
  }
  return false;
}

}  // namespace parhelia::server
