// How checkpoints look from outside, the same to the checkpoint tool and the CLI's --json, and
// their one text rendering for both.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/base/typed_schema.h"
#include "core/checkpoints/checkpoints.h"
#include "core/service/sessions.h"

namespace parhelia::views {

using schema::field;

struct CheckpointView {
  std::string checkpoint_id;
  std::string session_id;
  std::string trigger;
  std::string created_at;
  std::int64_t size_bytes = 0;
  std::string workspace_form;
  std::int64_t changed_files = 0;
  std::optional<std::string> claude_session_id;
  std::int64_t log_offset = 0;
  double spent_usd = 0;
  std::string sha256;

  static auto fields() {
    return std::tuple{
        field("checkpoint_id", &CheckpointView::checkpoint_id, "The checkpoint (ck-xxxxxxxx)"),
        field("session_id", &CheckpointView::session_id, "The session it was taken of"),
        field("trigger", &CheckpointView::trigger,
              "Why it was taken: manual, periodic, timeout, budget, stop or end"),
        field("created_at", &CheckpointView::created_at, "When (UTC)"),
        field("size_bytes", &CheckpointView::size_bytes, "Its size in the store"),
        field("workspace_form", &CheckpointView::workspace_form,
              "files (the files changed since the session's start) or archive (every file)"),
        field("changed_files", &CheckpointView::changed_files,
              "Files differing from the session's starting files"),
        field("claude_session_id", &CheckpointView::claude_session_id,
              "Claude Code's conversation a resume continues"),
        field("log_offset", &CheckpointView::log_offset, "How far the session's log had come"),
        field("spent_usd", &CheckpointView::spent_usd, "What the session had spent by then"),
        field("sha256", &CheckpointView::sha256, "The content hash its file is stored under")};
  }
};

struct CheckpointDiffFile {
  std::string path;
  std::string change;  // added, modified, deleted
  std::int64_t size = 0;
  static auto fields() {
    return std::tuple{field("path", &CheckpointDiffFile::path, "The file"),
                      field("change", &CheckpointDiffFile::change, "added, modified or deleted"),
                      field("size", &CheckpointDiffFile::size, "Its size in the later checkpoint")};
  }
};

struct CheckpointDiffView {
  std::string from;
  std::string to;
  std::vector<CheckpointDiffFile> files;
  std::int64_t transcript_bytes_added = 0;
  static auto fields() {
    return std::tuple{field("from", &CheckpointDiffView::from, "The earlier checkpoint"),
                      field("to", &CheckpointDiffView::to, "The later checkpoint"),
                      field("files", &CheckpointDiffView::files, "Files that differ between them"),
                      field("transcript_bytes_added", &CheckpointDiffView::transcript_bytes_added,
                            "How much Claude Code's transcript grew between them")};
  }
};

CheckpointView view_of(const core::Checkpoint& checkpoint);
CheckpointDiffView view_of(const core::CheckpointDiff& diff);

// "ck-0123abcd  2026-11-24T17:39:25Z  periodic  3 files changed  12.3 KB"
std::string to_line(const CheckpointView& view);
std::string to_text(const CheckpointDiffView& diff);
std::string to_text(const std::vector<CheckpointView>& list, const std::string& session_id);
// "1.5 MB"
std::string byte_size(std::int64_t bytes);

}  // namespace parhelia::views
