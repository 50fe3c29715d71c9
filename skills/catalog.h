// The Parhelia skill docs (skills/<name>/SKILL.md) and slash commands (commands/<name>.md),
// compiled into the binary: served as MCP resources and installed into Claude Code by
// `parhelia skills install`. The same folders are the Claude Code plugin's.
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
struct EmbeddedCommand {
  std::string_view name;  // the file's name without .md: submit for commands/submit.md
  std::string_view markdown;
};
// Generated at build time from the skills/ and commands/ folders.
const std::vector<EmbeddedSkill>& embedded_skills();
const std::vector<EmbeddedCommand>& embedded_commands();

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
// One `key: value` line of that front matter (quotes around the value removed).
std::optional<std::string> front_matter_field(std::string_view markdown, std::string_view key);

// Every skill, sorted by name.
const std::vector<Skill>& all_skills();
const Skill* find_skill(std::string_view name);
std::vector<std::string> skill_names();

// A Claude Code command file: /parhelia-<name> once installed, /parhelia:<name> in the plugin.
struct Command {
  std::string name;
  std::string description;
  std::string argument_hint;
  std::vector<std::string> allowed_tools;
  std::string_view markdown;  // the whole file, front matter included
};
// Every command, sorted by name.
const std::vector<Command>& all_commands();

}  // namespace parhelia::skills
