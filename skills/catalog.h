// The Parhelia skill docs (skills/<name>/SKILL.md), compiled into the binary: served as MCP
// resources and installed into Claude Code by `parhelia skills install`.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parhelia::skills {

struct EmbeddedSkill {
  std::string_view directory;
  std::string_view markdown;
};
// Generated at build time from the skills/ folder.
const std::vector<EmbeddedSkill>& embedded_skills();

struct Skill {
  std::string name;
  std::string description;
  std::string_view markdown;  // the whole SKILL.md, front matter included
};

struct FrontMatter {
  std::string name;
  std::string description;
};
// Reads `name:` and `description:` from the YAML front matter between the leading `---` lines.
std::optional<FrontMatter> parse_front_matter(std::string_view markdown);

// Every skill, sorted by name.
const std::vector<Skill>& all_skills();
const Skill* find_skill(std::string_view name);
std::vector<std::string> skill_names();

}  // namespace parhelia::skills
