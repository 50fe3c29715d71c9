#include "skills/catalog.h"

#include <algorithm>
#include <stdexcept>

namespace parhelia::skills {
namespace {

std::string_view trim(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  const auto end = text.find_last_not_of(" \t\r");
  text = text.substr(begin, end - begin + 1);
  if (text.size() >= 2 && (text.front() == '"' || text.front() == '\'') &&
      text.back() == text.front()) {
    text = text.substr(1, text.size() - 2);
  }
  return text;
}

}  // namespace

std::optional<std::string> front_matter_field(std::string_view markdown, std::string_view key) {
  if (markdown.substr(0, 4) != "---\n") return std::nullopt;
  const auto end = markdown.find("\n---", 3);
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view block = markdown.substr(4, end - 3);
  while (!block.empty()) {
    const auto newline = block.find('\n');
    const std::string_view line = block.substr(0, newline);
    block.remove_prefix(newline == std::string_view::npos ? block.size() : newline + 1);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (trim(line.substr(0, colon)) == key) return std::string(trim(line.substr(colon + 1)));
  }
  return std::nullopt;
}

std::optional<FrontMatter> parse_front_matter(std::string_view markdown) {
  FrontMatter front{front_matter_field(markdown, "name").value_or(""),
                    front_matter_field(markdown, "description").value_or("")};
  if (front.name.empty() || front.description.empty()) return std::nullopt;
  return front;
}

const std::vector<Skill>& all_skills() {
  static const std::vector<Skill> skills = [] {
    std::vector<Skill> list;
    for (const auto& embedded : embedded_skills()) {
      auto front = parse_front_matter(embedded.markdown);
      // The build embeds what skills/ holds; a doc without its front matter is a defect there.
      if (!front || front->name != embedded.directory) {
        throw std::logic_error("skills/" + std::string(embedded.directory) +
                               "/SKILL.md needs front matter whose name matches its folder");
      }
      list.push_back({front->name, front->description, embedded.markdown});
    }
    std::sort(list.begin(), list.end(),
              [](const Skill& a, const Skill& b) { return a.name < b.name; });
    return list;
  }();
  return skills;
}

const Skill* find_skill(std::string_view name) {
  for (const auto& skill : all_skills()) {
    if (skill.name == name) return &skill;
  }
  return nullptr;
}

std::vector<std::string> skill_names() {
  std::vector<std::string> names;
  for (const auto& skill : all_skills()) names.push_back(skill.name);
  return names;
}

const std::vector<Command>& all_commands() {
  static const std::vector<Command> commands = [] {
    std::vector<Command> list;
    for (const auto& embedded : embedded_commands()) {
      auto description = front_matter_field(embedded.markdown, "description");
      if (!description || description->empty()) {
        throw std::logic_error("commands/" + std::string(embedded.name) +
                               ".md needs front matter with a description");
      }
      Command command{std::string(embedded.name),
                      *description,
                      front_matter_field(embedded.markdown, "argument-hint").value_or(""),
                      {},
                      embedded.markdown};
      const std::string tools_text =
          front_matter_field(embedded.markdown, "allowed-tools").value_or("");
      std::string_view rest = tools_text;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        const std::string_view one = trim(rest.substr(0, comma));
        if (!one.empty()) command.allowed_tools.emplace_back(one);
        rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
      }
      list.push_back(std::move(command));
    }
    std::sort(list.begin(), list.end(),
              [](const Command& a, const Command& b) { return a.name < b.name; });
    return list;
  }();
  return commands;
}

}  // namespace parhelia::skills
