#include "core/checkpoints/checkpoint_request.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "core/base/file_replace.h"
#include "core/base/untrusted_json.h"

namespace parhelia::core {
namespace {

namespace fs = std::filesystem;

}  // namespace

std::string new_request_token() {
  std::random_device random;
  char token[20];
  std::snprintf(token, sizeof token, "%08x%08x", random(), random());
  return token;
}

void write_checkpoint_request(const SessionFiles& files, const std::string& token) {
  warn_on_error(replace_file(files.checkpoint_request, token), "writing a checkpoint request");
}

std::optional<std::string> take_checkpoint_request(const SessionFiles& files) {
  std::error_code ec;
  if (!fs::exists(files.checkpoint_request, ec)) return std::nullopt;
  std::string token;
  std::ifstream(files.checkpoint_request) >> token;
  fs::remove(files.checkpoint_request, ec);
  return token;
}

void write_checkpoint_answer(const SessionFiles& files, const CheckpointAnswer& answer) {
  const std::string text = nlohmann::json{
      {"token", answer.token},
      {"checkpoint_id", answer.checkpoint_id},
      {"unchanged", answer.unchanged},
      {"error", answer.error}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  warn_on_error(replace_file(files.checkpoint_answer, text), "writing a checkpoint answer");
}

std::optional<CheckpointAnswer> read_checkpoint_answer(const SessionFiles& files,
                                                       const std::string& token) {
  std::ifstream in(files.checkpoint_answer);
  if (!in) return std::nullopt;
  const auto json = nlohmann::json::parse(in, nullptr, false);
  // The answer lies where the session can write: a field of the wrong type reads as absent.
  if (string_field(json, "token") != token) return std::nullopt;
  return CheckpointAnswer{token, string_field(json, "checkpoint_id").value_or(""),
                          bool_field(json, "unchanged").value_or(false),
                          string_field(json, "error").value_or("")};
}

}  // namespace parhelia::core
