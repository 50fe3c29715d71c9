// `parhelia skills list|show|install`: the skill docs compiled into this binary.
#include <filesystem>
#include <iostream>
#include <map>

#include "cli/claude_install.h"
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

// Claude Code reads personal skills and commands from ~/.claude (or $CLAUDE_CONFIG_DIR) and a
// project's from .claude in the project.
fs::path default_claude_directory(bool project) {
  if (project) return fs::current_path() / ".claude";
  if (auto config = core::env_value("CLAUDE_CONFIG_DIR")) return fs::path(*config);
  return fs::path(core::env_value("HOME").value_or(".")) / ".claude";
}

struct InstallRequest {
  std::optional<std::string> directory;
  bool project = false;
  bool force = false;
  bool print = false;
  bool uninstall = false;
  bool as_json = false;
};

void print_plan(const InstallPlan& plan, const InstallRequest& request) {
  if (request.as_json) {
    nlohmann::json files = nlohmann::json::array();
    for (const auto& file : plan.files) {
      nlohmann::json item = {{"path", file.path.string()},
                             {"action", install_action_name(file.action)}};
      if (writes(file.action)) item["content"] = file.content;
      files.push_back(item);
    }
    print_json({{"directory", plan.root.string()}, {"dry_run", true}, {"files", files}});
    return;
  }
  std::cout << "Would " << (request.uninstall ? "uninstall from " : "install into ")
            << plan.root.string() << " (nothing is written with --print):\n";
  for (const auto& file : plan.files) {
    std::cout << "\n== " << install_action_name(file.action) << " " << file.path.string() << "\n";
    if (writes(file.action)) std::cout << file.content;
  }
}

int install_claude_files(const InstallRequest& request) {
  const fs::path root =
      request.directory ? fs::path(*request.directory) : default_claude_directory(request.project);
  const InstallPlan plan =
      request.uninstall ? plan_uninstall(root) : plan_install(root, request.force);
  if (request.print) {
    print_plan(plan, request);
    return kExitOk;
  }
  const ApplyOutcome outcome = request.uninstall ? apply_uninstall(plan) : apply_install(plan);
  std::map<std::string, nlohmann::json> by_action;
  for (const auto& file : plan.files) {
    auto& list = by_action[install_action_name(file.action)];
    if (list.is_null()) list = nlohmann::json::array();
    list.push_back(file.path.string());
  }
  if (!outcome.ok) {
    print_error(outcome.error);
    return kExitFailed;
  }
  if (request.as_json) {
    nlohmann::json out = {{"directory", root.string()}};
    for (const auto& [action, paths] : by_action) out[action] = paths;
    print_json(out);
    return kExitOk;
  }
  const auto count = [&](const char* action) {
    const auto it = by_action.find(action);
    return it == by_action.end() ? std::size_t{0} : it->second.size();
  };
  if (request.uninstall) {
    std::cout << "Removed " << count("remove") << " Parhelia files from " << root.string() << ".\n";
    if (count("keep") > 0) {
      std::cout << "Kept " << count("keep") << " that were changed since they were installed:\n";
      for (const auto& path : by_action["keep"])
        std::cout << "  " << path.get<std::string>() << "\n";
    }
    return kExitOk;
  }
  std::cout << "Installed Parhelia's skills and /parhelia-* commands into " << root.string() << ": "
            << count("create") + count("update") + count("replace") << " written, "
            << count("unchanged") << " already current. Claude Code picks them up in its next "
            << "session.\n";
  if (count("keep") > 0) {
    std::cout << "Left alone " << count("keep")
              << " files of the same name that Parhelia did not write (--force replaces them):\n";
    for (const auto& path : by_action["keep"]) std::cout << "  " << path.get<std::string>() << "\n";
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
      "install",
      "Install the skills and the /parhelia-* commands into Claude Code (personal by default)");
  auto request = std::make_shared<InstallRequest>();
  install->add_option("--dir", request->directory,
                      "Install into this Claude Code folder (the one holding skills/ and "
                      "commands/) instead of ~/.claude");
  install->add_flag("--project", request->project, "Install into ./.claude for this project only");
  install->add_flag("--force", request->force,
                    "Replace files of the same name that Parhelia did not write");
  install->add_flag("--print", request->print, "Show what would be written, and write nothing");
  install->add_flag("--uninstall", request->uninstall,
                    "Remove exactly the files Parhelia installed there (and the folders it made)");
  install->add_flag("--json", request->as_json, "Print JSON");
  install->callback([request, &exit_code] { exit_code = install_claude_files(*request); });
}

}  // namespace parhelia::cli
