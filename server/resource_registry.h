// The resources this server offers, each family registered as one URI template that can list
// its members, read one, and complete its variables. Read-only after registration.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "server/completion.h"
#include "server/protocol_version.h"
#include "server/uri_template.h"

namespace parhelia::server {

struct ResourceTemplateSpec {
  std::string uri_template;
  std::string name;
  std::string title;
  std::string description;
  std::string mime_type;
};

struct ResourceInfo {
  std::string uri;
  std::string name;
  std::string title;
  std::string description;
  std::optional<std::size_t> size;
};

struct ResourceContents {
  std::string text;
};

class ResourceRegistry {
 public:
  using Lister = std::function<std::vector<ResourceInfo>()>;
  // Nothing when the URI matches the template but names nothing that exists.
  using Reader = std::function<std::optional<ResourceContents>(const UriVariables& variables)>;

  void add(ResourceTemplateSpec spec, Lister list, Reader read,
           std::map<std::string, Completer> completers = {});

  json list(const ProtocolVersion& version) const;            // resources/list items
  json list_templates(const ProtocolVersion& version) const;  // resources/templates/list items
  // resources/read result, or -32002 when nothing has that URI.
  RpcResult read(const std::string& uri) const;
  // Values for a template variable; nothing when the template or variable is unknown.
  std::optional<std::vector<std::string>> complete(const std::string& uri_template,
                                                   const std::string& variable,
                                                   const std::string& prefix,
                                                   const CompletionContext& context) const;

 private:
  struct Family {
    ResourceTemplateSpec spec;
    UriTemplate uri;
    Lister list;
    Reader read;
    std::map<std::string, Completer> completers;
  };
  std::vector<Family> families_;
};

}  // namespace parhelia::server
