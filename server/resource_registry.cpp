#include "server/resource_registry.h"

namespace parhelia::server {

void ResourceRegistry::add(ResourceTemplateSpec spec, Lister list, Reader read,
                           std::map<std::string, Completer> completers) {
  UriTemplate uri(spec.uri_template);
  families_.push_back(
      {std::move(spec), std::move(uri), std::move(list), std::move(read), std::move(completers)});
}

json ResourceRegistry::list(const ProtocolVersion& version) const {
  json items = json::array();
  for (const auto& family : families_) {
    for (const auto& info : family.list()) {
      json item = {{"uri", info.uri}, {"name", info.name}, {"mimeType", family.spec.mime_type}};
      if (!info.description.empty()) item["description"] = info.description;
      if (version.structured_content() && !info.title.empty()) item["title"] = info.title;
      if (info.size) item["size"] = *info.size;
      items.push_back(std::move(item));
    }
  }
  return items;
}

json ResourceRegistry::list_templates(const ProtocolVersion& version) const {
  json items = json::array();
  for (const auto& family : families_) {
    json item = {{"uriTemplate", family.spec.uri_template},
                 {"name", family.spec.name},
                 {"description", family.spec.description},
                 {"mimeType", family.spec.mime_type}};
    if (version.structured_content()) item["title"] = family.spec.title;
    items.push_back(std::move(item));
  }
  return items;
}

RpcResult ResourceRegistry::read(const std::string& uri) const {
  for (const auto& family : families_) {
    const auto variables = family.uri.match(uri);
    if (!variables) continue;
    if (auto contents = family.read(*variables)) {
      return json{{"contents", json::array({{{"uri", uri},
                                             {"mimeType", family.spec.mime_type},
                                             {"text", std::move(contents->text)}}})}};
    }
  }
  return RpcError{rpc_code::resource_not_found, "Resource not found: " + uri, {{"uri", uri}}};
}

std::optional<std::vector<std::string>> ResourceRegistry::complete(
    const std::string& uri_template, const std::string& variable, const std::string& prefix,
    const CompletionContext& context) const {
  for (const auto& family : families_) {
    if (family.spec.uri_template != uri_template) continue;
    const auto completer = family.completers.find(variable);
    if (completer == family.completers.end()) return std::nullopt;
    return completer->second(prefix, context);
  }
  return std::nullopt;
}

}  // namespace parhelia::server
