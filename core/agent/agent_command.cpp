#include "core/agent/agent_command.h"

#include <filesystem>

#include "core/base/environment.h"

namespace parhelia::core {

std::string agent_program() {
  return env_value("PARHELIA_AGENT").value_or("claude");
}

Result<std::string> locate_agent() {
  const std::string program = agent_program();
  if (auto path = find_executable(program)) return path->string();
  if (env_value("PARHELIA_AGENT")) {
    return Error{ErrorCode::unavailable,
                 "PARHELIA_AGENT names `" + program +
                     "`, which is not an executable file here (nor a program on PATH).",
                 "Point PARHELIA_AGENT at Claude Code's `claude` (installed with `npm install -g "
                 "@anthropic-ai/claude-code`, or node_modules/.bin/claude of an npm install), "
                 "or unset it to use `claude` from PATH."};
  }
  return Error{ErrorCode::unavailable,
               "Claude Code (`" + program + "`) is not installed on this machine.",
               "Install it with `npm install -g @anthropic-ai/claude-code`, set PARHELIA_AGENT to "
               "its path, or "
               "run a plain command instead (command / --cmd)."};
}

std::vector<std::string> work_argv(const Session& session, const std::vector<std::string>& agent) {
  if (session.kind == SessionKind::command) return {"/bin/sh", "-c", session.task};
  // Permissions are bypassed because the sandbox, not a person at a prompt, is the boundary.
  std::vector<std::string> argv = agent;
  argv.insert(argv.end(), {"-p", session.task, "--output-format", "stream-json", "--verbose",
                           "--dangerously-skip-permissions"});
  // A resumed session continues Claude Code's conversation, restored under its working copy.
  if (!session.resume_agent_session.empty()) {
    argv.push_back("--resume");
    argv.push_back(session.resume_agent_session);
  }
  return argv;
}

}  // namespace parhelia::core
