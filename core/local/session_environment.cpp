#include "core/local/session_environment.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "core/agent/agent_credential.h"
#include "core/base/environment.h"

namespace parhelia::core {
namespace {

bool is_basic(std::string_view name) {
  static constexpr std::array<std::string_view, 20> names = {"PATH",
                                                             "LANG",
                                                             "LANGUAGE",
                                                             "TZ",
                                                             "USER",
                                                             "LOGNAME",
                                                             "http_proxy",
                                                             "HTTP_PROXY",
                                                             "https_proxy",
                                                             "HTTPS_PROXY",
                                                             "no_proxy",
                                                             "NO_PROXY",
                                                             "all_proxy",
                                                             "ALL_PROXY",
                                                             "SSL_CERT_FILE",
                                                             "SSL_CERT_DIR",
                                                             "NODE_EXTRA_CA_CERTS",
                                                             "COLORTERM",
                                                             "TERM",
                                                             "NO_COLOR"};
  return std::find(names.begin(), names.end(), name) != names.end() || name.starts_with("LC_");
}

// Claude Code's settings (its credential is chosen apart: agent_credential.h).
bool is_agent_setting(std::string_view name) {
  static constexpr std::array<std::string_view, 5> names = {
      "DISABLE_AUTOUPDATER", "DISABLE_TELEMETRY", "DISABLE_ERROR_REPORTING", "MAX_THINKING_TOKENS",
      "BASH_DEFAULT_TIMEOUT_MS"};
  return name.starts_with("ANTHROPIC_") || name.starts_with("CLAUDE_CODE_") ||
         std::find(names.begin(), names.end(), name) != names.end();
}

bool is_for_supervisor(std::string_view name) {
  return name.starts_with("PARHELIA_") || name.starts_with("XDG_") || name == "HOME";
}

bool never_given(std::string_view name) {
  return name.starts_with("MODAL_");
}

std::vector<std::string> allowed(const Session& session, const std::vector<std::string>& listed,
                                 bool for_supervisor) {
  std::vector<std::string> entries;
  // Of Claude Code's credentials, the one it signs in with: it would ignore the other.
  const auto credential = agent_credential();
  for (const auto& entry : environment_with({})) {
    const std::string_view name = std::string_view(entry).substr(0, entry.find('='));
    if (never_given(name)) continue;
    const bool is_listed = std::find(listed.begin(), listed.end(), name) != listed.end();
    const bool is_task = session.kind == SessionKind::task;
    if (is_agent_credential(name) && !is_listed && (!is_task || name != credential)) continue;
    const bool keep = is_basic(name) || (is_task && is_agent_setting(name)) || is_listed ||
                      (for_supervisor && is_for_supervisor(name));
    if (keep) entries.push_back(entry);
  }
  return entries;
}

}  // namespace

std::vector<std::string> supervisor_environment(const Session& session,
                                                const std::vector<std::string>& listed) {
  return allowed(session, listed, true);
}

std::vector<std::string> work_environment(const Session& session, const SessionFiles& files,
                                          const std::string& cuda_devices,
                                          const std::vector<std::string>& listed) {
  auto entries = allowed(session, listed, false);
  const auto set = [&](const std::string& key, const std::string& value) {
    entries.erase(std::remove_if(entries.begin(), entries.end(),
                                 [&](const std::string& e) { return e.starts_with(key + "="); }),
                  entries.end());
    entries.push_back(key + "=" + value);
  };
  set("HOME", work_paths(files, session.sandboxed).home.string());
  set("PARHELIA_SESSION_ID", session.id);
  set("TERM", env_value("TERM").value_or("xterm-256color"));
  if (!env_value("PATH")) set("PATH", "/usr/local/bin:/usr/bin:/bin");
  // Claude Code refuses --dangerously-skip-permissions as root unless told it is sandboxed:
  // sandboxed, the work is root only inside its own user namespace; unsandboxed as root, the
  // user chose that.
  if (session.sandboxed || ::geteuid() == 0) set("IS_SANDBOX", "1");
  if (!cuda_devices.empty()) set("CUDA_VISIBLE_DEVICES", cuda_devices);
  // A headless agent needs no telemetry, update checks or session-title requests; the title
  // request is billed yet written to no transcript, so a task stopped before its end could not
  // be charged for it. The user's own setting, when given, stands.
  if (session.kind == SessionKind::task && !env_value("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"))
    set("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
  return entries;
}

}  // namespace parhelia::core
