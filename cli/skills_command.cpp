// `parhelia skills list|show|install`: the skill docs compiled into this binary.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/base/environment.h"
#include "skills/catalog.h"

namespace parhelia::cli {
namespace {

namespace fs = std::filesystem;

int list_skills(bool as_json) {
  if (as_json) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& skill : skills::all_skills()) {
      items.push_back({{"name", skill.name}, {"description", skill.description}});
    }
    print_json(items);
    return kExitOk;
  }
  for (const auto& skill : skills::all_skills()) {
    std::cout << skill.name << "\n    " << skill.description << "\n";
  }
  return kExitOk;
}

int show_skill(const std::string& name, bool as_json) {
  const auto* skill = skills::find_skill(name);
  if (skill == nullptr) {
    print_error("there is no skill named '" + name + "'; `parhelia skills list` shows them.");
    return kExitFailed;
  }
  if (as_json) {
    print_json({{"name", skill->name},
                {"description", skill->description},
                {"markdown", skill->markdown}});
  } else {
    std::cout << skill->markdown;
  }
  return kExitOk;
}

// Claude Code reads personal skills from ~/.claude/skills (or $CLAUDE_CONFIG_DIR/skills) and
// project skills from .claude/skills in the project.
fs::path default_skills_directory(bool project) {
  if (project) return fs::current_path() / ".claude" / "skills";
  if (auto config = core::env_value("CLAUDE_CONFIG_DIR")) return fs::path(*config) / "skills";
  return fs::path(core::env_value("HOME").value_or(".")) / ".claude" / "skills";
}

int install_skills(const std::optional<std::string>& directory, bool project, bool as_json) {
  const fs::path root = directory ? fs::path(*directory) : default_skills_directory(project);
  nlohmann::json written = nlohmann::json::array();
  for (const auto& skill : skills::all_skills()) {
    const fs::path target = root / skill.name / "SKILL.md";
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    out << skill.markdown;
    out.close();
    if (ec || !out) {
      print_error("cannot write " + target.string() + (ec ? ": " + ec.message() : "") +
                  "; check that the directory is writable, or pick another with --dir.");
      return kExitFailed;
    }
    written.push_back(target.string());
  }
  if (as_json) {
    print_json({{"directory", root.string()}, {"written", written}});
  } else {
    std::cout << "Installed " << written.size() << " Parhelia skills into " << root.string()
              << "; Claude Code picks them up in its next session.\n";
  }
  return kExitOk;
}

}  // namespace

void add_skills_command(CLI::App& app, int& exit_code) {
  auto* skills_command = app.add_subcommand("skills", "The Parhelia skill guides for Claude Code");
  skills_command->require_subcommand(1);
  auto as_json = std::make_shared<bool>(false);

  auto* list = skills_command->add_subcommand("list", "List the skills with what each is for");
  list->add_flag("--json", *as_json, "Print JSON");
  list->callback([as_json, &exit_code] { exit_code = list_skills(*as_json); });

  auto* show = skills_command->add_subcommand("show", "Print one skill's SKILL.md");
  auto name = std::make_shared<std::string>();
  show->add_option("name", *name, "The skill, e.g. discover-parhelia")->required();
  show->add_flag("--json", *as_json, "Print JSON");
  show->callback([name, as_json, &exit_code] { exit_code = show_skill(*name, *as_json); });

  auto* install = skills_command->add_subcommand(
      "install", "Install the skills into Claude Code (personal by default)");
  auto directory = std::make_shared<std::optional<std::string>>();
  auto project = std::make_shared<bool>(false);
  install->add_option("--dir", *directory, "Install into this skills directory instead");
  install->add_flag("--project", *project, "Install into ./.claude/skills for this project only");
  install->add_flag("--json", *as_json, "Print JSON");
  install->callback([directory, project, as_json, &exit_code] {
    exit_code = install_skills(*directory, *project, *as_json);
  });
}

}  // namespace parhelia::cli
