// A piece of a session's log as the session tool returns it: the raw bytes, or, for a Claude
// Code task, its stream-json rendered as one activity line per event (a tool call, a short
// text, a tool's result, a retry, the end), which is what a model can read. Offsets are always
// the raw log's, so either format follows the log with next_offset.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/base/typed_schema.h"
#include "core/service/sessions.h"

namespace parhelia::tools {

using schema::field;

enum class LogFormat { raw, activity };

// What one raw line of a Claude Code stream shows as activity: "uses Bash: pytest -x",
// "says: …", "result: 3 passed", "tool error: …", "waiting for the API (attempt 2/10)",
// "finished: …"; a line that is not JSON (something the agent printed to stderr) as it is,
// shortened; nothing for a line that carries no activity.
std::optional<std::string> activity_of(std::string_view raw_line);

// One part of the text shown, and the raw bytes of the log it stands for.
struct LogPiece {
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  std::string text;
};

struct LogView {
  std::string session_id;
  std::string format;
  std::string text;
  std::int64_t offset = 0;
  std::int64_t next_offset = 0;
  std::int64_t size = 0;
  bool session_ended = false;
  // Not in the schema: what `text` is made of, and which end shrinking keeps (the newest
  // lines for a tail, the first for a read from an offset, so the next read goes on from it).
  std::vector<LogPiece> pieces;
  bool keep_newest = false;

  static auto fields() {
    return std::tuple{
        field("session_id", &LogView::session_id, "The session"),
        field("format", &LogView::format,
              "activity: one line per event of Claude Code's stream; raw: the log's bytes"),
        field("text", &LogView::text, "The piece of the log"),
        field("offset", &LogView::offset, "Where the piece starts in the raw log (bytes)"),
        field("next_offset", &LogView::next_offset, "Pass as offset to read on from here"),
        field("size", &LogView::size, "The raw log's size now (bytes)"),
        field("session_ended", &LogView::session_ended, "Whether the log can still grow")};
  }
};

struct LogRequest {
  LogFormat format = LogFormat::raw;
  std::optional<std::uint64_t> offset;  // from here on; none: the last `tail` lines
  std::size_t tail = 50;
  std::size_t max_bytes = 16384;  // of the text returned
};

core::Result<LogView> read_log_view(core::SessionService& service, const std::string& id,
                                    const LogRequest& request);

// Keeps about `keep` of the text, whole lines where it can; false when nothing can go.
bool shrink(LogView& view, double keep);

}  // namespace parhelia::tools
