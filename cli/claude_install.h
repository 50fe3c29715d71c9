// Installs Parhelia's skills and slash commands into a Claude Code folder (~/.claude, or a
// project's .claude): skills/<name>/SKILL.md and commands/parhelia-<name>.md. What it writes is
// recorded in that folder (.parhelia-installed.json, with each file's digest), so that a later
// install updates only its own files, a user's file of the same name is kept unless forced,
// and an uninstall removes exactly what was installed and the folders it made.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace parhelia::cli {

struct ClaudeFile {
  std::filesystem::path relative;  // e.g. commands/parhelia-submit.md
  std::string_view content;
};
// Every skill and command, where Claude Code looks for them under its folder.
std::vector<ClaudeFile> parhelia_claude_files();

enum class InstallAction {
  create,     // not there: written
  update,     // an earlier install's file, now different: rewritten
  unchanged,  // already holds exactly this
  keep,       // someone else's file (or one changed since): left alone, --force replaces it
  replace,    // someone else's file, replaced because of --force
  remove,     // uninstall: an installed file, removed
  missing,    // uninstall: an installed file that is gone already
};
const char* install_action_name(InstallAction action);
// Whether carrying the action out writes the file (create, update, replace).
bool writes(InstallAction action);

struct PlannedFile {
  std::filesystem::path path;
  InstallAction action;
  std::string_view content;  // what is written, for create/update/replace
};

struct InstallPlan {
  std::filesystem::path root;
  std::vector<PlannedFile> files;
  std::vector<std::filesystem::path> directories_to_remove;  // uninstall: deepest first
};

InstallPlan plan_install(const std::filesystem::path& root, bool force);
InstallPlan plan_uninstall(const std::filesystem::path& root);
// Carries the plan out; an error names the file and what to do.
struct ApplyOutcome {
  bool ok = true;
  std::string error;
};
ApplyOutcome apply_install(const InstallPlan& plan);
ApplyOutcome apply_uninstall(const InstallPlan& plan);

}  // namespace parhelia::cli
