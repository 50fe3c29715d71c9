#include <catch2/catch.hpp>

#include "transport/line_splitter.h"

using parhelia::transport::LineSink;
using parhelia::transport::LineSplitter;

namespace {
struct Recorder : LineSink {
  std::vector<std::string> lines;
  std::vector<std::size_t> overflows;
  void on_line(std::string_view line) override { lines.emplace_back(line); }
  void on_overflow(std::size_t length) override { overflows.push_back(length); }
};
}  // namespace

TEST_CASE("line splitter joins lines split across chunks", "[unit][transport]") {
  LineSplitter splitter(100);
  Recorder sink;
  splitter.feed("{\"a\":", sink);
  splitter.feed("1}\n{\"b\"", sink);
  splitter.feed(":2}\n", sink);
  CHECK(sink.lines == std::vector<std::string>{"{\"a\":1}", "{\"b\":2}"});
  CHECK(sink.overflows.empty());
}

TEST_CASE("line splitter drops an over-long line, reports its length and keeps going",
          "[unit][transport]") {
  LineSplitter splitter(10);
  Recorder sink;
  splitter.feed("0123456789", sink);  // exactly at the cap: still fine if the newline follows
  splitter.feed("\n", sink);
  splitter.feed(std::string(25, 'x'), sink);
  splitter.feed(std::string(5, 'y') + "\nok\n", sink);
  CHECK(sink.lines == std::vector<std::string>{"0123456789", "ok"});
  CHECK(sink.overflows == std::vector<std::size_t>{30});
}

TEST_CASE("line splitter hands over a last line without newline at the end of input",
          "[unit][transport]") {
  LineSplitter splitter(100);
  Recorder sink;
  splitter.feed("a\npartial", sink);
  splitter.finish(sink);
  CHECK(sink.lines == std::vector<std::string>{"a", "partial"});
}

// Found by fuzz_framing: a line whose first piece alone was over the cap went through whole
// (nothing had been discarded yet, so the splitter did not know it was skipping).
TEST_CASE("line splitter refuses a line that is over the cap in its very first piece",
          "[unit][transport]") {
  LineSplitter splitter(4);
  Recorder sink;
  splitter.feed("0123456789\nok\n", sink);
  splitter.feed("abcdefgh", sink);  // over the cap, and no newline yet
  splitter.feed("ij\nend", sink);
  splitter.finish(sink);
  CHECK(sink.lines == std::vector<std::string>{"ok", "end"});
  CHECK(sink.overflows == std::vector<std::size_t>{10, 10});
}
