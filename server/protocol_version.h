// The MCP protocol revisions this server speaks, and what each one allows.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parhelia::server {

class ProtocolVersion {
 public:
  // Newest first; initialize answers with the client's version if listed here, else the first.
  static const std::vector<std::string>& supported();
  static ProtocolVersion negotiate(std::string_view requested);
  static ProtocolVersion newest() { return negotiate(""); }

  const std::string& name() const { return name_; }
  bool batching() const { return name_ == "2025-03-26"; }  // added then, removed in 06-18
  bool tool_annotations() const { return name_ >= "2025-03-26"; }
  bool progress_messages() const { return name_ >= "2025-03-26"; }
  bool completions_capability() const { return name_ >= "2025-03-26"; }
  bool structured_content() const { return name_ >= "2025-06-18"; }  // also outputSchema, title
  bool resource_links() const { return name_ >= "2025-06-18"; }
  bool elicitation() const { return name_ >= "2025-06-18"; }
  bool elicitation_modes() const { return name_ >= "2025-11-25"; }           // form and url
  bool implementation_description() const { return name_ >= "2025-11-25"; }  // in serverInfo

 private:
  explicit ProtocolVersion(std::string name) : name_(std::move(name)) {}
  std::string name_;  // ISO dates compare correctly as strings
};

}  // namespace parhelia::server
