#include "tools/log_view.h"

#include <algorithm>
#include <limits>

#include "core/agent/agent_stream.h"
#include "core/base/untrusted_json.h"

namespace parhelia::tools {
namespace {

using json = nlohmann::json;

// An activity read reads the raw log in windows of this size, and no more than kMaxScanBytes
// in one call (a long run of lines that show nothing is read on by the next call).
constexpr std::size_t kWindowBytes = 256 * 1024;
constexpr std::size_t kMaxScanBytes = 8u << 20;
// A tail in activity format looks this far back for its lines.
constexpr std::size_t kTailScanBytes = 1u << 20;
// A tool's result is shown by its first line and its last (a command's summary or error is
// mostly there), each shortened; the rest is in the raw log.
constexpr std::size_t kResultLineChars = 60;
constexpr std::size_t kPlainLineChars = 200;

std::string one_line(std::string text, std::size_t limit) {
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  const auto first = text.find_first_not_of(' ');
  return first == std::string::npos ? std::string() : core::shorten(text.substr(first), limit);
}

// A tool_result block's content: a string, or text blocks.
std::string result_text(const json& block) {
  if (auto text = core::string_field(block, "content")) return *text;
  std::string joined;
  for (const auto& part : core::array_field(block, "content")) {
    if (auto text = core::string_field(part, "text")) joined += (joined.empty() ? "" : " ") + *text;
    if (joined.size() > kWindowBytes) break;
  }
  return joined;
}

// Its first and last lines that are not blank: "first … last", each shortened.
std::string ends_of(const std::string& text) {
  std::optional<std::string> first;
  std::string last;
  std::size_t lines = 0;
  for (std::size_t from = 0; from < text.size();) {
    const auto newline = std::min(text.find('\n', from), text.size());
    std::string line = one_line(text.substr(from, newline - from), kResultLineChars);
    if (!line.empty()) {
      ++lines;
      if (!first) first = line;
      last = std::move(line);
    }
    from = newline + 1;
  }
  if (!first) return "";
  if (lines == 1) return *first;
  // A first line cut short already ends with its ellipsis.
  const std::string gap = first->ends_with("…") ? " " : " … ";
  return *first + gap + last;
}

std::optional<std::string> tool_results_of(const json& line) {
  std::string shown;
  for (const auto& block : core::array_field(core::object_field(line, "message"), "content")) {
    if (core::string_field(block, "type").value_or("") != "tool_result") continue;
    const bool failed = core::bool_field(block, "is_error").value_or(false);
    const std::string text = ends_of(result_text(block));
    shown += (shown.empty() ? "" : "; ") + std::string(failed ? "tool error: " : "result: ") +
             (text.empty() ? "(empty)" : text);
  }
  return shown.empty() ? std::nullopt : std::optional(shown);
}

void split_into_pieces(const core::LogChunk& chunk, LogView& view) {
  std::uint64_t at = chunk.offset;
  std::size_t from = 0;
  while (from < chunk.text.size()) {
    const auto newline = chunk.text.find('\n', from);
    const std::size_t end = newline == std::string::npos ? chunk.text.size() : newline + 1;
    view.pieces.push_back({at + from, at + end, chunk.text.substr(from, end - from)});
    from = end;
  }
}

void join(LogView& view) {
  view.text.clear();
  for (const auto& piece : view.pieces) view.text += piece.text;
}

LogView raw_view(const core::LogChunk& chunk) {
  LogView view;
  split_into_pieces(chunk, view);
  view.offset = static_cast<std::int64_t>(chunk.offset);
  view.next_offset = static_cast<std::int64_t>(chunk.next_offset);
  view.size = static_cast<std::int64_t>(chunk.size);
  join(view);
  return view;
}

// The complete lines of a window that starts at a line start: [start, end) each, newline
// included. A last line without its newline is left for the caller to decide.
struct WindowLines {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> lines;
  std::uint64_t partial_start = 0;  // where an unfinished last line starts (== end if none)
  std::uint64_t end = 0;
};

WindowLines lines_of(const core::LogChunk& chunk) {
  WindowLines out;
  std::size_t from = 0;
  while (true) {
    const auto newline = chunk.text.find('\n', from);
    if (newline == std::string::npos) break;
    out.lines.emplace_back(chunk.offset + from, chunk.offset + newline + 1);
    from = newline + 1;
  }
  out.partial_start = chunk.offset + from;
  out.end = chunk.offset + chunk.text.size();
  return out;
}

std::string_view line_text(const core::LogChunk& chunk, std::uint64_t start, std::uint64_t end) {
  return std::string_view(chunk.text).substr(start - chunk.offset, end - start);
}

// Reads on from `from` to the end of the line it is in; the offset after its newline (or the
// log's end, or where the scan had to stop).
std::uint64_t end_of_line(core::SessionService& service, const std::string& id, std::uint64_t from,
                          std::size_t& scanned) {
  while (scanned < kMaxScanBytes) {
    auto chunk = service.log_from(id, from, kWindowBytes);
    if (!chunk || chunk->text.empty()) return from;
    scanned += chunk->text.size();
    if (const auto newline = chunk->text.find('\n'); newline != std::string::npos)
      return from + newline + 1;
    from = chunk->next_offset;
  }
  return from;
}

core::Result<LogView> activity_from(core::SessionService& service, const std::string& id,
                                    const LogRequest& request, bool ended) {
  LogView view;
  view.offset = static_cast<std::int64_t>(*request.offset);
  std::uint64_t at = *request.offset;
  std::size_t shown = 0;
  std::size_t scanned = 0;
  std::uint64_t size = 0;
  bool full = false;
  while (!full && scanned < kMaxScanBytes) {
    auto chunk = service.log_from(id, at, kWindowBytes);
    if (!chunk) return chunk.error();
    size = chunk->size;
    at = chunk->offset;
    if (chunk->text.empty()) break;
    scanned += chunk->text.size();
    const WindowLines window = lines_of(chunk.value());
    for (const auto& [start, end] : window.lines) {
      if (auto activity = activity_of(line_text(chunk.value(), start, end))) {
        if (!view.pieces.empty() && shown + activity->size() + 1 > request.max_bytes) {
          full = true;
          break;
        }
        shown += activity->size() + 1;
        view.pieces.push_back({start, end, *activity + "\n"});
      }
      at = end;
    }
    if (full) break;
    const bool at_log_end = window.end >= chunk->size;
    if (window.partial_start == window.end) continue;  // the window ended with a line
    if (at_log_end) {
      // An unfinished last line is read when it is finished, or when the session has ended.
      if (ended) {
        if (auto activity =
                activity_of(line_text(chunk.value(), window.partial_start, window.end))) {
          view.pieces.push_back({window.partial_start, window.end, *activity + "\n"});
        }
        at = window.end;
      }
      break;
    }
    if (window.lines.empty()) {
      // One line longer than a window: no stream line that long is worth showing whole.
      const std::uint64_t end = end_of_line(service, id, window.partial_start, scanned);
      view.pieces.push_back({window.partial_start, end,
                             "[a line of " + std::to_string(end - window.partial_start) +
                                 " bytes, left out here; format raw has it]\n"});
      shown += view.pieces.back().text.size();
      at = end;
    }
  }
  view.next_offset = static_cast<std::int64_t>(at);
  view.size = static_cast<std::int64_t>(std::max(size, at));
  join(view);
  return view;
}

core::Result<LogView> activity_tail(core::SessionService& service, const std::string& id,
                                    const LogRequest& request, bool ended) {
  auto chunk = service.log_tail(id, std::numeric_limits<std::size_t>::max(), kTailScanBytes);
  if (!chunk) return chunk.error();
  const WindowLines window = lines_of(chunk.value());
  auto lines = window.lines;
  std::uint64_t consumed = window.partial_start;
  if (window.partial_start != window.end && ended) {
    lines.emplace_back(window.partial_start, window.end);
    consumed = window.end;
  }
  LogView view;
  view.keep_newest = true;
  std::size_t shown = 0;
  for (auto it = lines.rbegin(); it != lines.rend() && view.pieces.size() < request.tail; ++it) {
    auto activity = activity_of(line_text(chunk.value(), it->first, it->second));
    if (!activity) continue;
    if (!view.pieces.empty() && shown + activity->size() + 1 > request.max_bytes) break;
    shown += activity->size() + 1;
    view.pieces.push_back({it->first, it->second, *activity + "\n"});
  }
  std::reverse(view.pieces.begin(), view.pieces.end());
  view.offset =
      static_cast<std::int64_t>(view.pieces.empty() ? consumed : view.pieces.front().start);
  view.next_offset = static_cast<std::int64_t>(consumed);
  view.size = static_cast<std::int64_t>(chunk->size);
  join(view);
  return view;
}

// The first `bytes` of `text`, or its last, never cutting a UTF-8 sequence.
std::string keep_bytes(const std::string& text, std::size_t bytes, bool newest) {
  if (bytes >= text.size()) return text;
  if (!newest) {
    std::size_t end = bytes;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    return text.substr(0, end);
  }
  std::size_t start = text.size() - bytes;
  while (start < text.size() && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) ++start;
  return text.substr(start);
}

}  // namespace

std::optional<std::string> activity_of(std::string_view raw_line) {
  while (!raw_line.empty() && (raw_line.back() == '\n' || raw_line.back() == '\r'))
    raw_line.remove_suffix(1);
  if (raw_line.find_first_not_of(" \t") == std::string_view::npos) return std::nullopt;
  const auto parsed = core::parse_untrusted_json(
      raw_line, {.max_bytes = core::kMaxAgentLineBytes, .max_depth = 64});
  if (!parsed || !parsed->is_object()) {
    // Not the stream: what the agent (or the shell around it) printed, as it is.
    return one_line(std::string(raw_line), kPlainLineChars);
  }
  if (core::string_field(*parsed, "type").value_or("") == "user") return tool_results_of(*parsed);
  auto update = core::read_agent_line(raw_line);
  if (!update || !update->activity) return std::nullopt;
  return update->activity;
}

core::Result<LogView> read_log_view(core::SessionService& service, const std::string& id,
                                    const LogRequest& request) {
  auto session = service.get(id);
  if (!session) return session.error();
  const bool ended = core::is_terminal(session->state);
  core::Result<LogView> view = LogView{};
  if (request.format == LogFormat::raw) {
    auto chunk = request.offset ? service.log_from(id, *request.offset, request.max_bytes)
                                : service.log_tail(id, request.tail, request.max_bytes);
    if (!chunk) return chunk.error();
    view = raw_view(chunk.value());
  } else {
    view = request.offset ? activity_from(service, id, request, ended)
                          : activity_tail(service, id, request, ended);
  }
  if (!view) return view.error();
  view->session_id = id;
  view->format = request.format == LogFormat::raw ? "raw" : "activity";
  view->session_ended = ended;
  view->keep_newest = !request.offset;
  return view;
}

bool shrink(LogView& view, double keep) {
  if (view.text.size() <= 1 || view.pieces.empty()) return false;
  const auto target = static_cast<std::size_t>(static_cast<double>(view.text.size()) * keep);
  std::size_t total = view.text.size();
  while (view.pieces.size() > 1 && total > target) {
    auto& dropped = view.keep_newest ? view.pieces.front() : view.pieces.back();
    total -= dropped.text.size();
    if (view.keep_newest) {
      view.pieces.erase(view.pieces.begin());
    } else {
      view.pieces.pop_back();
    }
  }
  if (total > target) {
    // One piece left, still too long: keep part of it. A raw piece is the log's own bytes, so
    // its range follows what is kept; an activity line stands for its whole raw line.
    LogPiece& piece = view.pieces.front();
    const bool raw = view.format == "raw";
    const std::size_t before = piece.text.size();
    piece.text = keep_bytes(piece.text, std::max<std::size_t>(target, 1), raw && view.keep_newest);
    if (piece.text.empty() || piece.text.size() == before) return false;
    if (raw && view.keep_newest) piece.start = piece.end - piece.text.size();
    if (raw && !view.keep_newest) piece.end = piece.start + piece.text.size();
    if (!raw) piece.text += "…\n";
  }
  if (view.keep_newest) {
    view.offset = static_cast<std::int64_t>(view.pieces.front().start);
  } else {
    view.next_offset = static_cast<std::int64_t>(view.pieces.back().end);
  }
  join(view);
  return true;
}

}  // namespace parhelia::tools
