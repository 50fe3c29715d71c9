// MCP's log levels (RFC 5424 severities), ordered from least to most severe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace parhelia::server {

enum class LogLevel { debug, info, notice, warning, error, critical, alert, emergency };

std::optional<LogLevel> parse_log_level(std::string_view name);
std::string_view to_string(LogLevel level);

}  // namespace parhelia::server
