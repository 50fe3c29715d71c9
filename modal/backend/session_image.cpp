#include "modal/backend/session_image.h"

#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/base/file_replace.h"
#include "core/base/sha256.h"

namespace parhelia::modal {
namespace {

// Debian 12 and Ubuntu 24.04 both carry Node 18+, which Claude Code needs.
constexpr const char* kDebianBase = "FROM debian:bookworm-slim";
constexpr const char* kCudaBase = "FROM nvidia/cuda:12.6.3-runtime-ubuntu24.04";

nlohmann::json read_images(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return nlohmann::json::object();
  auto parsed = nlohmann::json::parse(in, nullptr, false);
  return parsed.is_object() ? parsed : nlohmann::json::object();
}

}  // namespace

std::vector<std::string> session_image_commands(const ModalSettings& settings, bool gpu) {
  std::vector<std::string> commands;
  commands.push_back(!settings.registry_image.empty() ? "FROM " + settings.registry_image
                     : gpu                            ? kCudaBase
                                                      : kDebianBase);
  commands.push_back(
      "RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "
      "--no-install-recommends ca-certificates git tmux openssh-server tar gzip findutils procps "
      "util-linux nodejs npm && rm -rf /var/lib/apt/lists/*");
  commands.push_back("RUN npm install -g @anthropic-ai/claude-code && npm cache clean --force");
  commands.push_back(
      "RUN (id agent >/dev/null 2>&1 || useradd --create-home --shell /bin/bash agent) && "
      "mkdir -p /workspace /parhelia && chown agent:agent /workspace /parhelia");
  for (const std::string& line : settings.image_commands) commands.push_back(line);
  return commands;
}

SessionImages::SessionImages(std::filesystem::path home, const ModalCredentials& credentials)
    : file_(home / "modal" / "images.json"),
      account_(credentials.server_url + "\n" + credentials.environment + "\n" +
               credentials.token_id) {}

std::string SessionImages::key_of(const std::vector<std::string>& commands) const {
  core::Sha256 digest;
  digest.add(account_);
  for (const std::string& line : commands) {
    digest.add("\n");
    digest.add(line);
  }
  return digest.hex();
}

std::optional<std::string> SessionImages::known(const std::vector<std::string>& commands) const {
  const std::string key = key_of(commands);
  if (auto known = read_images(file_); known.contains(key) && known[key].is_string())
    return known[key].get<std::string>();
  return std::nullopt;
}

core::Result<std::string> SessionImages::image_for(
    ModalClient& client, const std::string& app_id, const std::vector<std::string>& commands,
    const std::function<void(const std::string&)>& on_log) {
  if (auto remembered = known(commands)) return *remembered;
  const std::string key = key_of(commands);
  auto build = client.image_get_or_create(app_id, commands);
  if (!build) return build.error();
  std::optional<Outcome> outcome = build->outcome;
  if (!outcome) {
    auto joined = client.image_join(build->image_id, on_log);
    if (!joined) return joined.error();
    outcome = joined.value();
  }
  if (outcome->status != EndStatus::success) {
    return core::Error{core::ErrorCode::unavailable,
                       "Modal could not build the session's image (" +
                           std::string(end_status_name(outcome->status)) + ")" +
                           (outcome->exception.empty() ? "" : ": " + outcome->exception) + ".",
                       "Check the \"modal.image\" lines of config.json; the session's log has "
                       "the build log."};
  }
  // Sessions starting at once may each write; each write is whole (replace_file), and both
  // hold the same answer.
  nlohmann::json known = read_images(file_);
  known[key] = build->image_id;
  std::error_code ec;
  std::filesystem::create_directories(file_.parent_path(), ec);
  core::warn_on_error(core::replace_file(file_, known.dump(2) + "\n"), "remembering the image");
  return build->image_id;
}

void SessionImages::forget(const std::vector<std::string>& commands) {
  nlohmann::json known = read_images(file_);
  if (known.erase(key_of(commands)) > 0)
    core::warn_on_error(core::replace_file(file_, known.dump(2) + "\n"), "forgetting the image");
}

}  // namespace parhelia::modal
