// Fuzz target: the stdio framing. Bytes arrive in chunks of any size; the line splitter must
// hand on exactly the lines a plain split on '\n' gives (each at most the cap, longer ones
// reported as overflow with their exact length), and the message reader must turn each line
// into what nlohmann parses it to, or into an error, never a crash or a value deeper than the
// cap.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "transport/bounded_json.h"
#include "transport/line_splitter.h"
#include "transport/message_reader.h"

namespace {

using parhelia::transport::kMaxJsonDepth;
using parhelia::transport::LineSink;
using parhelia::transport::LineSplitter;
using parhelia::transport::MessageHandler;
using parhelia::transport::MessageReader;
using parhelia::transport::ReadFailure;
using json = nlohmann::json;

void require(bool condition) {
  if (!condition) std::abort();
}

std::size_t depth_of(const json& value) {
  if (!value.is_structured()) return 0;
  std::size_t deepest = 0;
  for (const auto& item : value) deepest = std::max(deepest, depth_of(item));
  return deepest + 1;
}

// What the splitter handed on, in order: a line, or an overflow of some length.
struct Piece {
  bool overflow = false;
  std::string line;
  std::size_t length = 0;
};

class Recorder final : public LineSink {
 public:
  void on_line(std::string_view line) override { pieces.push_back({false, std::string(line), 0}); }
  void on_overflow(std::size_t length) override { pieces.push_back({true, {}, length}); }
  std::vector<Piece> pieces;
};

class CheckingHandler final : public MessageHandler {
 public:
  void on_message(json message) override {
    require(depth_of(message) <= kMaxJsonDepth);
    (void)message.dump();  // what the server does with every answer
    ++messages;
  }
  void on_unreadable(ReadFailure, const std::string& detail) override {
    require(!detail.empty());
    ++unreadable;
  }
  std::size_t messages = 0;
  std::size_t unreadable = 0;
};

// A line nlohmann itself takes (no exceptions, so 1e400 is simply refused) and that is shallow
// enough for the cap must come through as the same value; anything else must not.
void check_against_nlohmann(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.find_first_not_of(" \t") == std::string_view::npos) return;
  auto ours = parhelia::transport::parse_bounded_json(line);
  if (const auto* error = std::get_if<parhelia::transport::JsonParseError>(&ours)) {
    if (error->failure == parhelia::transport::JsonFailure::too_deep) return;  // not built at all
    require(json::parse(line, nullptr, false).is_discarded());
    return;
  }
  const json theirs = json::parse(line, nullptr, false);
  require(!theirs.is_discarded());
  require(std::get<json>(ours) == theirs);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  // The first two bytes choose the cap and the chunk size, so short caps (overflow on almost
  // every line) and short chunks (lines split across reads) are both explored.
  const std::size_t cap = 1 + data[0] % 64 * 16;
  const std::size_t chunk = 1 + data[1] % 32;
  const std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);

  Recorder recorder;
  LineSplitter splitter(cap);
  for (std::size_t at = 0; at < input.size(); at += chunk) {
    splitter.feed(input.substr(at, chunk), recorder);
  }
  splitter.finish(recorder);

  // The oracle: split on '\n'; the last piece counts only when it is not empty.
  std::vector<std::string_view> expected;
  std::size_t start = 0;
  while (start <= input.size()) {
    const auto newline = input.find('\n', start);
    if (newline == std::string_view::npos) {
      if (start < input.size()) expected.push_back(input.substr(start));
      break;
    }
    expected.push_back(input.substr(start, newline - start));
    start = newline + 1;
  }
  require(recorder.pieces.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const Piece& piece = recorder.pieces[i];
    if (expected[i].size() > cap) {
      require(piece.overflow && piece.length == expected[i].size());
    } else {
      require(!piece.overflow && piece.line == expected[i]);
    }
  }

  // Every line through the message reader, as the transport does, and against nlohmann.
  CheckingHandler handler;
  MessageReader reader(handler, cap);
  for (const Piece& piece : recorder.pieces) {
    if (piece.overflow) {
      reader.on_overflow(piece.length);
    } else {
      reader.on_line(piece.line);
      check_against_nlohmann(piece.line);
    }
  }
  return 0;
}
