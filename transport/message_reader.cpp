#include "transport/message_reader.h"

#include <string>

#include "transport/bounded_json.h"

namespace parhelia::transport {

void MessageReader::on_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.find_first_not_of(" \t") == std::string_view::npos) return;  // blank line
  auto parsed = parse_bounded_json(line);
  if (auto* error = std::get_if<JsonParseError>(&parsed)) {
    const ReadFailure failure = error->failure == JsonFailure::too_deep
                                    ? ReadFailure::too_deep
                                    : ReadFailure::malformed_json;
    handler_.on_unreadable(failure, error->describe());
    return;
  }
  handler_.on_message(std::get<nlohmann::json>(std::move(parsed)));
}

void MessageReader::on_overflow(std::size_t length) {
  handler_.on_unreadable(ReadFailure::too_large, "a message of " + std::to_string(length) +
                                                     " bytes is over the limit of " +
                                                     std::to_string(max_line_bytes_) + " bytes");
}

}  // namespace parhelia::transport
