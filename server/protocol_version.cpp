#include "server/protocol_version.h"

#include <algorithm>

namespace parhelia::server {

const std::vector<std::string>& ProtocolVersion::supported() {
  static const std::vector<std::string> versions = {"2025-11-25", "2025-06-18", "2025-03-26",
                                                    "2024-11-05"};
  return versions;
}

ProtocolVersion ProtocolVersion::negotiate(std::string_view requested) {
  const auto& versions = supported();
  const auto match = std::find(versions.begin(), versions.end(), requested);
  return ProtocolVersion(match != versions.end() ? *match : versions.front());
}

}  // namespace parhelia::server
