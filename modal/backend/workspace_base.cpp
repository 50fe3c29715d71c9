#include "modal/backend/workspace_base.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/base/file_replace.h"
#include "core/base/sha256.h"

namespace parhelia::modal {

core::Result<FileManifest> manifest_of(const core::WorkingCopy& copy) {
  // Every file the work tree holds now, as the upload sends it (a restored checkpoint's are
  // not all in the base commit, and none is left out for a .gitignore): added to an index of
  // its own, started from the base's so that git hashes only what differs from it.
  const auto index = copy.git_dir / "parhelia-upload-index";
  std::error_code ec;
  std::filesystem::copy_file(copy.git_dir / "index", index,
                             std::filesystem::copy_options::overwrite_existing, ec);
  const core::GitOptions own_index{.index_file = index};
  if (auto added = core::git(copy, {"add", "-A", "--force"}, own_index); !added)
    return added.error();
  auto listed = core::git(copy, {"ls-files", "-s", "-z"}, own_index);
  std::filesystem::remove(index, ec);
  if (!listed) return listed.error();
  if (listed->exit_status != 0) {
    return core::Error{core::ErrorCode::io_failure,
                       "The working copy's files could not be listed: " + listed->err, ""};
  }
  return manifest_from_listing(listed->out);
}

FileManifest manifest_from_listing(const std::string& out) {
  // "MODE BLOB STAGE\tPATH\0" for each file.
  FileManifest files;
  for (std::size_t start = 0; start < out.size();) {
    const std::size_t end = std::min(out.find('\0', start), out.size());
    const std::string entry = out.substr(start, end - start);
    start = end + 1;
    const std::size_t tab = entry.find('\t');
    const std::size_t stage = entry.rfind(' ', tab);
    if (tab == std::string::npos || stage == std::string::npos) continue;
    files[entry.substr(tab + 1)] = entry.substr(0, stage);
  }
  return files;
}

ManifestDifference difference(const FileManifest& base, const FileManifest& now) {
  ManifestDifference changed;
  for (const auto& [path, entry] : now) {
    const auto there = base.find(path);
    if (there == base.end() || there->second != entry) changed.send.push_back(path);
  }
  for (const auto& [path, entry] : base)
    if (!now.count(path)) changed.remove.push_back(path);
  return changed;
}

WorkspaceBases::WorkspaceBases(const std::filesystem::path& home,
                               const ModalCredentials& credentials,
                               const std::filesystem::path& origin,
                               const std::string& session_image_id) {
  core::Sha256 key;
  for (const std::string& part : {credentials.server_url, credentials.environment,
                                  credentials.token_id, origin.string(), session_image_id}) {
    key.add(part);
    key.add("\n");
  }
  file_ = home / "modal" / "bases" / (key.hex().substr(0, 24) + ".json");
}

std::optional<WorkspaceBase> WorkspaceBases::find() const {
  std::ifstream in(file_);
  if (!in) return std::nullopt;
  const auto parsed = nlohmann::json::parse(in, nullptr, false);
  if (!parsed.is_object() || !parsed.contains("image_id") || !parsed["image_id"].is_string() ||
      !parsed.contains("files") || !parsed["files"].is_object())
    return std::nullopt;
  WorkspaceBase base;
  base.image_id = parsed["image_id"].get<std::string>();
  for (const auto& [path, entry] : parsed["files"].items()) {
    if (entry.is_string()) base.files[path] = entry.get<std::string>();
  }
  return base;
}

void WorkspaceBases::remember(const WorkspaceBase& base) const {
  std::error_code ec;
  std::filesystem::create_directories(file_.parent_path(), ec);
  const nlohmann::json saved = {{"image_id", base.image_id}, {"files", base.files}};
  // A name that is not UTF-8 is written replaced: it is then sent again, never lost.
  core::warn_on_error(
      core::replace_file(
          file_, saved.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"),
      "remembering the workspace's base");
}

void WorkspaceBases::forget() const {
  std::error_code ec;
  std::filesystem::remove(file_, ec);
}

}  // namespace parhelia::modal
