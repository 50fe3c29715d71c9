#include "cli/claude_install.h"

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/base/sha256.h"
#include "skills/catalog.h"

namespace parhelia::cli {
namespace {

namespace fs = std::filesystem;
constexpr const char* kRecordName = ".parhelia-installed.json";

// What earlier installs wrote here: file → digest of what was written, and the folders they
// created (which an uninstall removes again once empty).
struct InstallRecord {
  std::map<std::string, std::string> files;
  std::set<std::string> created_directories;
};

InstallRecord read_record(const fs::path& root) {
  InstallRecord record;
  std::ifstream in(root / kRecordName);
  if (!in) return record;
  const auto parsed = nlohmann::json::parse(in, nullptr, false);
  if (!parsed.is_object()) return record;  // unreadable: nothing is known to be ours
  if (auto files = parsed.find("files"); files != parsed.end() && files->is_object()) {
    for (const auto& [path, digest] : files->items()) {
      if (digest.is_string()) record.files[path] = digest.get<std::string>();
    }
  }
  if (auto dirs = parsed.find("created_directories"); dirs != parsed.end() && dirs->is_array()) {
    for (const auto& dir : *dirs) {
      if (dir.is_string()) record.created_directories.insert(dir.get<std::string>());
    }
  }
  return record;
}

bool write_whole_file(const fs::path& path, std::string_view content) {
  const fs::path temporary = path.string() + ".parhelia-tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    if (!out) {
      std::error_code ignored;
      fs::remove(temporary, ignored);
      return false;
    }
  }
  std::error_code ec;
  fs::rename(temporary, path, ec);
  return !ec;
}

bool write_record(const fs::path& root, const InstallRecord& record) {
  if (record.files.empty()) {
    std::error_code ignored;
    fs::remove(root / kRecordName, ignored);
    return true;
  }
  nlohmann::json out = {{"about",
                         "What `parhelia skills install` wrote here; `parhelia skills install "
                         "--uninstall` removes exactly these files."},
                        {"files", record.files},
                        {"created_directories", record.created_directories}};
  return write_whole_file(root / kRecordName, out.dump(2) + "\n");
}

// The folders from root down to dir that do not exist yet, outermost first, relative to
// root ("." for root itself).
std::vector<fs::path> missing_directories(const fs::path& root, const fs::path& relative_dir) {
  std::vector<fs::path> missing;
  if (!fs::exists(root)) missing.push_back(".");
  fs::path walk;
  for (const auto& part : relative_dir) {
    walk /= part;
    if (!fs::exists(root / walk)) missing.push_back(walk);
  }
  return missing;
}

}  // namespace

std::vector<ClaudeFile> parhelia_claude_files() {
  std::vector<ClaudeFile> files;
  for (const auto& skill : skills::all_skills()) {
    files.push_back({fs::path("skills") / skill.name / "SKILL.md", skill.markdown});
  }
  for (const auto& command : skills::all_commands()) {
    files.push_back(
        {fs::path("commands") / ("parhelia-" + command.name + ".md"), command.markdown});
  }
  return files;
}

const char* install_action_name(InstallAction action) {
  switch (action) {
    case InstallAction::create:
      return "create";
    case InstallAction::update:
      return "update";
    case InstallAction::unchanged:
      return "unchanged";
    case InstallAction::keep:
      return "keep";
    case InstallAction::replace:
      return "replace";
    case InstallAction::remove:
      return "remove";
    case InstallAction::missing:
      return "missing";
  }
  return "unknown";
}

bool writes(InstallAction action) {
  return action == InstallAction::create || action == InstallAction::update ||
         action == InstallAction::replace;
}

InstallPlan plan_install(const fs::path& root, bool force) {
  const InstallRecord record = read_record(root);
  InstallPlan plan{root, {}, {}};
  for (const auto& file : parhelia_claude_files()) {
    const fs::path path = root / file.relative;
    InstallAction action = InstallAction::create;
    if (fs::exists(path)) {
      const auto on_disk = core::sha256_of_file(path);
      const auto recorded = record.files.find(file.relative.generic_string());
      const bool ours = recorded != record.files.end() && on_disk == recorded->second;
      if (on_disk == core::sha256_hex(file.content)) {
        action = InstallAction::unchanged;
      } else if (ours) {
        action = InstallAction::update;
      } else {
        action = force ? InstallAction::replace : InstallAction::keep;
      }
    }
    plan.files.push_back({path, action, file.content});
  }
  return plan;
}

ApplyOutcome apply_install(const InstallPlan& plan) {
  InstallRecord record = read_record(plan.root);
  ApplyOutcome outcome;
  for (const auto& file : plan.files) {
    if (!writes(file.action)) continue;
    const fs::path relative = fs::relative(file.path, plan.root);
    std::error_code ec;
    for (const auto& dir : missing_directories(plan.root, relative.parent_path())) {
      record.created_directories.insert(dir.generic_string());
    }
    fs::create_directories(file.path.parent_path(), ec);
    if (ec || !write_whole_file(file.path, file.content)) {
      outcome = {false, "cannot write " + file.path.string() + (ec ? ": " + ec.message() : "") +
                            "; check that the folder is writable, or pick another with --dir."};
      break;
    }
    record.files[relative.generic_string()] = core::sha256_hex(file.content);
  }
  // What was written before a failure is recorded too, so an uninstall still finds it.
  if (!record.files.empty() && !write_record(plan.root, record) && outcome.ok) {
    outcome = {false, "cannot write " + (plan.root / kRecordName).string() +
                          "; check that the folder is writable."};
  }
  return outcome;
}

InstallPlan plan_uninstall(const fs::path& root) {
  const InstallRecord record = read_record(root);
  InstallPlan plan{root, {}, {}};
  for (const auto& [relative, digest] : record.files) {
    const fs::path path = root / relative;
    InstallAction action = InstallAction::remove;
    if (!fs::exists(path)) {
      action = InstallAction::missing;
    } else if (core::sha256_of_file(path) != digest) {
      action = InstallAction::keep;  // changed since it was installed: the user's now
    }
    plan.files.push_back({path, action, {}});
  }
  // Deepest first, so a folder is emptied before its parent is tried.
  for (auto it = record.created_directories.rbegin(); it != record.created_directories.rend();
       ++it) {
    plan.directories_to_remove.push_back(*it == "." ? root : root / *it);
  }
  return plan;
}

ApplyOutcome apply_uninstall(const InstallPlan& plan) {
  InstallRecord record = read_record(plan.root);
  ApplyOutcome outcome;
  for (const auto& file : plan.files) {
    const std::string relative = fs::relative(file.path, plan.root).generic_string();
    if (file.action == InstallAction::remove) {
      std::error_code ec;
      fs::remove(file.path, ec);
      if (ec) {
        outcome = {false, "cannot remove " + file.path.string() + ": " + ec.message()};
        continue;
      }
    }
    if (file.action != InstallAction::keep) record.files.erase(relative);
  }
  if (!write_record(plan.root, record) && outcome.ok) {
    outcome = {false, "cannot update " + (plan.root / kRecordName).string()};
  }
  if (record.files.empty()) {
    // A folder is removed only if it is empty: whatever else someone put there stays.
    for (const auto& dir : plan.directories_to_remove) {
      std::error_code ignored;
      if (fs::is_directory(dir) && fs::is_empty(dir)) fs::remove(dir, ignored);
    }
  }
  return outcome;
}

}  // namespace parhelia::cli
