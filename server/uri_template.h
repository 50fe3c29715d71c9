// RFC 6570 level-1 URI templates ("parhelia://sessions/{id}/log"): each {name} stands for one
// non-empty path segment.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace parhelia::server {

using UriVariables = std::map<std::string, std::string>;

class UriTemplate {
 public:
  explicit UriTemplate(std::string pattern);

  const std::string& pattern() const { return pattern_; }
  std::optional<UriVariables> match(const std::string& uri) const;
  std::string expand(const UriVariables& variables) const;
  bool has_variable(const std::string& name) const;

 private:
  struct Part {
    bool variable;
    std::string text;  // the literal, or the variable's name
  };
  std::string pattern_;
  std::vector<Part> parts_;
};

}  // namespace parhelia::server
