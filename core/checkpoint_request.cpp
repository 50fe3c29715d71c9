#include "core/checkpoint_request.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

namespace parhelia::core {
namespace {

namespace fs = std::filesystem;

// Written beside, then renamed: a reader sees the whole file or the previous one.
void write_atomically(const fs::path& file, const std::string& text) {
  const fs::path temporary = file.string() + ".new";
  std::ofstream(temporary, std::ios::trunc) << text;
  std::error_code ec;
  fs::rename(temporary, file, ec);
}

}  // namespace

std::string new_request_token() {
  std::random_device random;
  char token[20];
  std::snprintf(token, sizeof token, "%08x%08x", random(), random());
  return token;
}

void write_checkpoint_request(const SessionFiles& files, const std::string& token) {
  write_atomically(files.checkpoint_request, token);
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
  write_atomically(files.checkpoint_answer, nlohmann::json{{"token", answer.token},
                                                           {"checkpoint_id", answer.checkpoint_id},
                                                           {"unchanged", answer.unchanged},
                                                           {"error", answer.error}}
                                                .dump());
}

std::optional<CheckpointAnswer> read_checkpoint_answer(const SessionFiles& files,
                                                       const std::string& token) {
  std::ifstream in(files.checkpoint_answer);
  if (!in) return std::nullopt;
  const auto json = nlohmann::json::parse(in, nullptr, false);
  if (!json.is_object() || json.value("token", "") != token) return std::nullopt;
  return CheckpointAnswer{token, json.value("checkpoint_id", ""), json.value("unchanged", false),
                          json.value("error", "")};
}

}  // namespace parhelia::core
