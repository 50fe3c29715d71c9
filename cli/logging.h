// Where Parhelia's own log lines go: stderr always (stdout belongs to the protocol), without
// ever blocking and at a bounded rate, and a file when asked.
#pragma once

#include <optional>
#include <string>

namespace parhelia::cli {

struct LoggingOptions {
  std::optional<std::string> file;
  std::optional<std::string>
      level;  // trace, debug, info, warn, error; else $PARHELIA_LOG_LEVEL or warn
};

// Returns false (after saying why on stderr) when the file cannot be opened or the level is
// unknown.
bool configure_logging(const LoggingOptions& options);

}  // namespace parhelia::cli
