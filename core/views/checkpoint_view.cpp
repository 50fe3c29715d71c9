#include "core/views/checkpoint_view.h"

#include <cstdio>
#include <sstream>

#include "core/session/session.h"

namespace parhelia::views {

std::string byte_size(std::int64_t bytes) {
  char text[32];
  if (bytes < 1024) {
    std::snprintf(text, sizeof text, "%lld B", static_cast<long long>(bytes));
  } else if (bytes < 1024 * 1024) {
    std::snprintf(text, sizeof text, "%.1f KB", static_cast<double>(bytes) / 1024);
  } else if (bytes < 1024LL * 1024 * 1024) {
    std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / (1024 * 1024));
  } else {
    std::snprintf(text, sizeof text, "%.2f GB", static_cast<double>(bytes) / (1024 * 1024 * 1024));
  }
  return text;
}

CheckpointView view_of(const core::Checkpoint& c) {
  CheckpointView v;
  v.checkpoint_id = c.id;
  v.session_id = c.session_id;
  v.trigger = std::string(core::to_string(c.trigger));
  v.created_at = core::iso_time(c.created_at);
  v.size_bytes = c.size_bytes;
  v.workspace_form = c.workspace_form;
  v.changed_files = c.changed_files;
  if (!c.claude_session_id.empty()) v.claude_session_id = c.claude_session_id;
  v.log_offset = c.log_offset;
  v.spent_usd = core::dollars(c.spent);
  v.sha256 = c.sha256;
  return v;
}

CheckpointDiffView view_of(const core::CheckpointDiff& diff) {
  CheckpointDiffView v;
  v.from = diff.from.id;
  v.to = diff.to.id;
  for (const auto& f : diff.files) {
    v.files.push_back({f.path,
                       f.change == 'A'   ? "added"
                       : f.change == 'D' ? "deleted"
                                         : "modified",
                       static_cast<std::int64_t>(f.size)});
  }
  v.transcript_bytes_added = diff.transcript_bytes_to - diff.transcript_bytes_from;
  return v;
}

std::string to_line(const CheckpointView& v) {
  return v.checkpoint_id + "  " + v.created_at + "  " + v.trigger + "  " +
         std::to_string(v.changed_files) + (v.changed_files == 1 ? " file" : " files") +
         " changed  " + byte_size(v.size_bytes) +
         (v.workspace_form == "archive" ? " (full archive)" : "");
}

std::string to_text(const CheckpointDiffView& d) {
  std::ostringstream text;
  text << "From " << d.from << " to " << d.to << ": ";
  if (d.files.empty())
    text << "no files differ.";
  else
    text << d.files.size() << (d.files.size() == 1 ? " file differs." : " files differ.");
  for (const auto& f : d.files) {
    text << "\n  "
         << (f.change == "added"     ? "A"
             : f.change == "deleted" ? "D"
                                     : "M")
         << " " << f.path;
  }
  if (d.transcript_bytes_added != 0) {
    text << "\nClaude Code's transcript "
         << (d.transcript_bytes_added > 0 ? "grew by " : "shrank by ")
         << byte_size(std::abs(d.transcript_bytes_added)) << ".";
  }
  return text.str();
}

std::string to_text(const std::vector<CheckpointView>& list, const std::string& session_id) {
  if (list.empty()) return "Session " + session_id + " has no checkpoints yet.";
  std::ostringstream text;
  std::int64_t total = 0;
  for (const auto& v : list) {
    text << to_line(v) << "\n";
    total += v.size_bytes;
  }
  text << list.size() << (list.size() == 1 ? " checkpoint, " : " checkpoints, ") << byte_size(total)
       << " (plus the starting files, stored once). Resume from one with "
       << "`parhelia checkpoint restore CHECKPOINT`.";
  return text.str();
}

}  // namespace parhelia::views
