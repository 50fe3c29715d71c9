// A session's files between this machine and its sandbox. Up: the working copy the session
// service prepared here (the user's tracked and untracked-not-ignored files, or a checkpoint
// restored into it) goes to /workspace as one gzip'd tar through an exec's stdin. Back: what
// the work changed comes over the same way, onto the working copy here, so that core's
// collect_changes makes the patch and the changed-file list exactly as for a local session.
//
// What changed is what the sandbox's `find -cnewer` names against a marker touched right after
// the upload: a file's ctime is set by every write and cannot be set back by the work (touch
// sets mtime), and the extracted files' ctimes precede the marker. Files no longer there are
// deleted here. The agent's own repository (.git at the base commit) is made again in the
// sandbox rather than sent, and is not part of what comes back.
#pragma once

#include <filesystem>
#include <string>

#include "core/base/result.h"
#include "modal/api/modal_client.h"
#include "modal/backend/workspace_base.h"

namespace parhelia::modal {

// The sandbox's folders: the work's files, and Parhelia's own beside them (its markers).
inline constexpr const char* kSandboxWorkspace = "/workspace";

core::Result<std::uint64_t> upload_working_copy(CommandRouter& router,
                                                const std::string& session_id,
                                                const std::filesystem::path& working_copy);

// Claude Code's conversation: the transcripts under the agent's HOME for the working
// directory (~/.claude/projects/<key of /workspace>, the key reckoned in the sandbox as
// Claude Code reckons it), from the sandbox into `transcripts` here, or from there up for a
// session resumed from a checkpoint. A sandbox with none sends nothing.
core::Result<core::Done> download_transcripts(CommandRouter& router, const std::string& session_id,
                                              const std::string& round,
                                              const std::filesystem::path& transcripts);
core::Result<core::Done> upload_transcripts(CommandRouter& router, const std::string& session_id,
                                            const std::filesystem::path& transcripts);

// `round` tells one download of the session's from another (its execs are its own): "end" at
// the end, a checkpoint's token for a checkpoint.
// The same files onto a sandbox that started from a base image holding `base` (see
// workspace_base.h): only those that differ are sent, those the base has and the working copy
// lacks are deleted there. Returns the bytes sent.
// What /workspace of a sandbox holds now, as manifest_of lists a working copy here (git
// there hashes it, from the index of the repository the files came with): what a sandbox
// started from a snapshot is sent its difference from.
core::Result<FileManifest> manifest_in_sandbox(CommandRouter& router,
                                               const std::string& session_id);

core::Result<std::uint64_t> upload_difference(CommandRouter& router, const std::string& session_id,
                                              const std::filesystem::path& working_copy,
                                              const FileManifest& base, const FileManifest& now);

// Returns the bytes that came (compressed).
core::Result<std::uint64_t> download_changes(CommandRouter& router, const std::string& session_id,
                                             const std::string& round,
                                             const std::filesystem::path& working_copy);

}  // namespace parhelia::modal
