#include "cli/logging.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "core/base/environment.h"
#include "transport/stderr_log_sink.h"

namespace parhelia::cli {

bool configure_logging(const LoggingOptions& options) {
  const std::string level_name =
      options.level.value_or(core::env_value("PARHELIA_LOG_LEVEL").value_or("warn"));
  const auto level = spdlog::level::from_str(level_name);
  if (level == spdlog::level::off && level_name != "off") {
    std::cerr << "parhelia: unknown log level '" << level_name
              << "'; use trace, debug, info, warn or error\n";
    return false;
  }
  // stderr never holds up the process (an MCP client may never read it); see StderrLogSink.
  std::vector<spdlog::sink_ptr> sinks{std::make_shared<transport::StderrLogSink>()};
  if (options.file) {
    try {
      sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(*options.file));
    } catch (const spdlog::spdlog_ex& e) {
      std::cerr << "parhelia: cannot open the log file " << *options.file << ": " << e.what()
                << "\n";
      return false;
    }
  }
  auto logger = std::make_shared<spdlog::logger>("parhelia", sinks.begin(), sinks.end());
  logger->set_level(level);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return true;
}

}  // namespace parhelia::cli
