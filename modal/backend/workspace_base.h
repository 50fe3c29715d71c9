// A workspace's base on Modal, so that a session does not send what Modal already has: the
// first session from a workspace sends its files whole and, before its work starts, Modal
// snapshots the sandbox's filesystem into an image; later sessions from the same workspace
// (and the same session image and Modal account) start from that image and are sent only
// their difference from it.
//
// The difference is reckoned here, from what git already knows: the working copy's files
// each with its mode and blob id (`git ls-files -s` of an index of their own, which git fills
// from the base commit's, hashing only files that differ from it), and the base image's
// manifest is the same listing taken when it was snapshotted. A file whose entry differs is sent,
// one the base has and the session lacks is deleted there. Nothing is hashed twice and nothing is
// asked of the sandbox to compare.
//
// Remembered in $PARHELIA_HOME/modal/bases/, one file per workspace, image and account; an
// image Modal no longer has is forgotten at the create that says so, and the session is sent
// whole (and snapshotted again).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "core/workspace/git.h"
#include "modal/credentials.h"

namespace parhelia::modal {

// Path (relative to the work tree) -> "MODE BLOB" of every file in the working copy's base.
using FileManifest = std::map<std::string, std::string>;

core::Result<FileManifest> manifest_of(const core::WorkingCopy& copy);
// The same from `git ls-files -s -z`'s output (wherever git ran: here, or in a sandbox).
FileManifest manifest_from_listing(const std::string& listing);

// What a session sends on a base: the files to send and those to delete there.
struct ManifestDifference {
  std::vector<std::string> send;
  std::vector<std::string> remove;
};
ManifestDifference difference(const FileManifest& base, const FileManifest& now);

struct WorkspaceBase {
  std::string image_id;  // the snapshot
  FileManifest files;    // what it holds in /workspace
};

class WorkspaceBases {
 public:
  // `session_image_id`: the image the snapshot was taken over (its definition's).
  WorkspaceBases(const std::filesystem::path& home, const ModalCredentials& credentials,
                 const std::filesystem::path& origin, const std::string& session_image_id);

  std::optional<WorkspaceBase> find() const;
  void remember(const WorkspaceBase& base) const;
  void forget() const;

 private:
  std::filesystem::path file_;
};

}  // namespace parhelia::modal
