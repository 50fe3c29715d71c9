// tools/status.cpp: the status tool, the health of this Parhelia installation.
#include <sstream>

#include "core/health.h"
#include "tools/toolset.h"

namespace parhelia::tools {
namespace {

using server::schema::field;

struct Dependency {
  std::string program;
  std::string needed_for;
  bool found = false;
  bool required = false;
  std::optional<std::string> path;
  std::optional<std::string> install_hint;
  static auto fields() {
    return std::tuple{
        field("program", &Dependency::program, "Program looked up on PATH"),
        field("needed_for", &Dependency::needed_for, "What Parhelia uses it for"),
        field("found", &Dependency::found, "Whether it is installed"),
        field("required", &Dependency::required, "Whether local sessions need it"),
        field("path", &Dependency::path, "Where it was found"),
        field("install_hint", &Dependency::install_hint, "How to install it when missing")};
  }
};

struct StatusResult {
  std::string version;
  std::string protocol_version;
  std::string parhelia_home;
  bool parhelia_home_exists = false;
  std::vector<Dependency> dependencies;
  bool anthropic_api_key_set = false;
  bool modal_credentials_found = false;
  std::vector<std::string> missing;
  static auto fields() {
    return std::tuple{
        field("version", &StatusResult::version, "Parhelia's version"),
        field("protocol_version", &StatusResult::protocol_version,
              "The MCP version negotiated with this client"),
        field("parhelia_home", &StatusResult::parhelia_home,
              "Where Parhelia keeps its state ($PARHELIA_HOME)"),
        field("parhelia_home_exists", &StatusResult::parhelia_home_exists,
              "Whether that directory exists yet"),
        field("dependencies", &StatusResult::dependencies, "Programs Parhelia relies on"),
        field("anthropic_api_key_set", &StatusResult::anthropic_api_key_set,
              "Whether ANTHROPIC_API_KEY is set (its value is never shown)"),
        field("modal_credentials_found", &StatusResult::modal_credentials_found,
              "Whether Modal credentials are configured (environment or ~/.modal.toml)"),
        field("missing", &StatusResult::missing,
              "Programs not found, each with what it is needed for")};
  }
};

std::string to_text(const StatusResult& status) {
  std::ostringstream text;
  text << "Parhelia " << status.version << " (MCP " << status.protocol_version << "), state in "
       << status.parhelia_home << (status.parhelia_home_exists ? "" : " (not created yet)")
       << ".\n";
  for (const auto& dependency : status.dependencies) {
    text << (dependency.found      ? "  ok       "
             : dependency.required ? "  MISSING  "
                                   : "  missing  ")
         << dependency.program << ": " << dependency.needed_for;
    if (!dependency.found && dependency.install_hint)
      text << " (install: " << *dependency.install_hint << ")";
    text << "\n";
  }
  text << "ANTHROPIC_API_KEY " << (status.anthropic_api_key_set ? "is set" : "is not set")
       << "; Modal credentials " << (status.modal_credentials_found ? "found" : "not found") << ".";
  return text.str();
}

StatusResult current_status(const server::ClientSession& client) {
  const core::SystemHealth health = core::check_health();
  StatusResult result;
  result.version = health.version;
  result.protocol_version = client.version().name();
  result.parhelia_home = health.home;
  result.parhelia_home_exists = health.home_exists;
  for (const auto& check : health.dependencies) {
    Dependency dependency{check.program,  check.needed_for, check.path.has_value(),
                          check.required, check.path,       std::nullopt};
    if (!dependency.found) {
      dependency.install_hint = check.install_hint;
      result.missing.push_back(check.program + " (" + check.needed_for + ")");
    }
    result.dependencies.push_back(std::move(dependency));
  }
  result.anthropic_api_key_set = health.anthropic_api_key_set;
  result.modal_credentials_found = health.modal_credentials_found;
  return result;
}

}  // namespace

void register_status_tool(server::McpServer& server) {
  server.tools().add<server::schema::NoArgs, StatusResult>(
      {.name = "status",
       .title = "Parhelia status",
       .description = "Reports the health of this Parhelia installation: its version, where it "
                      "keeps state, which "
                      "programs it relies on are installed (tmux, bubblewrap, git, claude, ssh, "
                      "nvidia-smi) with how to "
                      "install the missing ones, and whether ANTHROPIC_API_KEY and Modal "
                      "credentials are configured "
                      "(never their values). Call it before the first dispatch or when something "
                      "fails. Answers at once; "
                      "changes nothing.",
       .read_only = true,
       .idempotent = true},
      [&server](const server::schema::NoArgs&, server::CallContext&)
          -> server::ToolOutcome<StatusResult> { return current_status(server.client()); });
}

}  // namespace parhelia::tools
