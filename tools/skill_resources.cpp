// tools/skill_resources.cpp: the skill docs as resources parhelia://skills/{name}.
#include "skills/catalog.h"
#include "tools/toolset.h"

namespace parhelia::tools {

void register_skill_resources(server::Toolset& toolset) {
  toolset.resources().add(
      {.uri_template = "parhelia://skills/{name}",
       .name = "skill",
       .title = "Parhelia skill guide",
       .description = "A Parhelia usage guide (Markdown with YAML front matter); discover-parhelia "
                      "lists the others.",
       .mime_type = "text/markdown"},
      [] {
        std::vector<server::ResourceInfo> items;
        for (const auto& skill : skills::all_skills()) {
          items.push_back({"parhelia://skills/" + skill.name, skill.name, "Skill: " + skill.name,
                           skill.description, skill.markdown.size()});
        }
        return items;
      },
      [](const server::UriVariables& variables) -> std::optional<server::ResourceContents> {
        const auto* skill = skills::find_skill(variables.at("name"));
        if (skill == nullptr) return std::nullopt;
        return server::ResourceContents{std::string(skill->markdown)};
      },
      {{"name", [](const std::string& prefix, const server::CompletionContext&) {
          return server::starting_with(skills::skill_names(), prefix);
        }}});
}

}  // namespace parhelia::tools
