// tools/debug_wait.cpp: a diagnostic tool that waits, reporting progress, until it is done or
// cancelled. It lets tests and people see progress, cancellation and concurrency through the
// real server; it is registered only when PARHELIA_ENABLE_DEBUG_TOOLS=1.
#include <chrono>
#include <stdexcept>
#include <thread>

#include "tools/toolset.h"

namespace parhelia::tools {
namespace {

using schema::field;

struct DebugWaitArgs {
  int milliseconds = 0;
  std::optional<int> progress_every_ms;
  std::optional<bool> fail_internally;
  static auto fields() {
    return std::tuple{
        field("milliseconds", &DebugWaitArgs::milliseconds, "How long to wait",
              {{"minimum", 0}, {"maximum", 600000}}),
        field("progress_every_ms", &DebugWaitArgs::progress_every_ms,
              "Interval between progress notifications (default 100)", {{"minimum", 10}}),
        field("fail_internally", &DebugWaitArgs::fail_internally,
              "Throw instead of answering, to exercise the internal-error path")};
  }
};

struct DebugWaitResult {
  int waited_ms = 0;
  int progress_sent = 0;
  static auto fields() {
    return std::tuple{
        field("waited_ms", &DebugWaitResult::waited_ms, "How long it waited"),
        field("progress_sent", &DebugWaitResult::progress_sent, "Progress notifications sent")};
  }
};

std::string to_text(const DebugWaitResult& result) {
  return "Waited " + std::to_string(result.waited_ms) + " ms and sent " +
         std::to_string(result.progress_sent) + " progress notifications.";
}

}  // namespace

void register_debug_wait_tool(server::Toolset& toolset) {
  toolset.tools().add<DebugWaitArgs, DebugWaitResult>(
      {.name = "debug_wait",
       .title = "Wait (diagnostics)",
       .description = "Diagnostics only: waits the given milliseconds, sending progress, until "
                      "done or cancelled.",
       .read_only = true,
       .idempotent = true},
      [](const DebugWaitArgs& args,
         server::CallContext& context) -> server::ToolOutcome<DebugWaitResult> {
        if (args.fail_internally.value_or(false))
          throw std::runtime_error("debug_wait was asked to fail");
        using clock = std::chrono::steady_clock;
        const auto start = clock::now();
        const auto total = std::chrono::milliseconds(args.milliseconds);
        const auto step = std::chrono::milliseconds(args.progress_every_ms.value_or(100));
        DebugWaitResult result;
        while (clock::now() - start < total) {
          if (context.cancelled()) return server::ToolError{"debug_wait was cancelled."};
          std::this_thread::sleep_for(
              std::min<clock::duration>(step, total - (clock::now() - start)));
          const auto waited =
              std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start);
          if (context.wants_progress()) {
            context.progress(static_cast<double>(waited.count()),
                             static_cast<double>(args.milliseconds),
                             "waited " + std::to_string(waited.count()) + " ms");
            ++result.progress_sent;
          }
        }
        context.log(server::LogLevel::info, "debug_wait finished");
        result.waited_ms = static_cast<int>(
            std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start).count());
        return result;
      });
}

}  // namespace parhelia::tools
