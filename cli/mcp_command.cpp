// `parhelia mcp`: the MCP server over stdio, as Claude Code starts it, or over Streamable HTTP
// (`--http`); the face itself is behind transport/mcp_face.h.
#include <malloc.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/composition.h"
#include "cli/logging.h"
#include "cli/output.h"
#include "core/base/environment.h"
#include "core/service/sessions.h"
#include "transport/mcp_face.h"

namespace parhelia::cli {
namespace {

std::size_t page_size_from_environment() {
  const auto value = core::env_value("PARHELIA_MCP_PAGE_SIZE");
  if (!value) return 50;
  try {
    const long size = std::stol(*value);
    if (size > 0) return static_cast<std::size_t>(size);
  } catch (const std::exception&) {
  }
  spdlog::warn("ignoring PARHELIA_MCP_PAGE_SIZE={}: not a positive number", *value);
  return 50;
}

// Where --http listens: "PORT", "HOST:PORT" or "[IPv6]:PORT"; empty means the default.
bool parse_listen_address(const std::string& text, transport::StreamableHttpOptions& http,
                          std::string& error) {
  if (text.empty()) return true;
  std::string host = http.host;
  std::string port = text;
  if (const auto colon = text.rfind(':'); colon != std::string::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);
  }
  char* end = nullptr;
  const long number = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || number < 0 || number > 65535 || host.empty()) {
    error = "--http takes PORT or ADDRESS:PORT (such as 127.0.0.1:8848), not \"" + text + "\"";
    return false;
  }
  http.host = host;
  http.port = static_cast<int>(number);
  return true;
}

struct HttpFlags {
  bool enabled = false;
  std::string address;
  std::string token;
  int idle_timeout_s = 3600;
};

int serve(const LoggingOptions& logging, const HttpFlags& http_flags) {
  // main() set the default logging up; only --log-file or --log-level change it.
  if ((logging.file || logging.level) && !configure_logging(logging)) return kExitUsage;
  // One malloc arena: the server idles most of its life, and glibc would give each request
  // worker thread an arena of its own whose touched pages stay resident (0.3 MB of the idle
  // server's 8); its few short requests at a time do not contend for the one lock.
  mallopt(M_ARENA_MAX, 1);
  // Nothing before the answer to initialize but what answers it: the database opens on the
  // first call that needs it, and the reconciliation of sessions and the sandbox and GPU
  // probes (child processes) start once the client has its answer, off the reader thread.
  auto service =
      core::SessionService::open_on_first_use(core::parhelia_home(), sessions_backends());
  const transport::McpFaceOptions face{
      .page_size = page_size_from_environment(),
      .debug_tools = core::env_value("PARHELIA_ENABLE_DEBUG_TOOLS") == "1"};
  if (!http_flags.enabled) return transport::serve_mcp_face(*service, face);
  transport::StreamableHttpOptions http;
  std::string error;
  if (!parse_listen_address(http_flags.address, http, error)) {
    print_error(error + "; for example: parhelia mcp --http 127.0.0.1:8848");
    return kExitUsage;
  }
  // The token from the environment keeps it out of `ps`; --token is for a quick try.
  http.bearer_token = !http_flags.token.empty()
                          ? http_flags.token
                          : core::env_value("PARHELIA_MCP_TOKEN").value_or("");
  if (http_flags.idle_timeout_s <= 0) {
    print_error("--idle-timeout must be a positive number of seconds");
    return kExitUsage;
  }
  http.session_idle = std::chrono::seconds(http_flags.idle_timeout_s);
  const int status = transport::serve_mcp_face_http(*service, face, std::move(http));
  return status == 0 ? kExitOk : kExitUsage;
}

}  // namespace

void add_mcp_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand(
      "mcp", "Serve MCP on stdin/stdout (what `claude mcp add parhelia -- parhelia mcp` runs)");
  auto logging = std::make_shared<LoggingOptions>();
  command->add_option("--log-file", logging->file, "Also write the server's log to this file");
  command->add_option("--log-level", logging->level,
                      "trace, debug, info, warn or error (default: warn)");
  auto describe = std::make_shared<bool>(false);
  command->add_flag("--describe", *describe,
                    "Print what mcp-manifest.json says of this server besides its tools, resources "
                    "and prompts (identity, command, transports, protocol versions) as JSON, and "
                    "exit");
  auto http = std::make_shared<HttpFlags>();
  command
      ->add_option("--http", http->address,
                   "Serve MCP over Streamable HTTP at http://ADDR:PORT/mcp instead of stdio "
                   "(default 127.0.0.1:8848; port 0 picks a free one; the URL is printed)")
      ->expected(0, 1);
  command->add_option("--token", http->token,
                      "With --http: require Authorization: Bearer TOKEN (needed for a "
                      "non-loopback address; PARHELIA_MCP_TOKEN keeps it out of ps)");
  command->add_option("--idle-timeout", http->idle_timeout_s,
                      "With --http: end a session unused for this many seconds (default 3600)");
  command->callback([logging, describe, http, command, &exit_code] {
    if (*describe) {
      print_json(transport::mcp_face_description());
      exit_code = kExitOk;
      return;
    }
    http->enabled = command->count("--http") > 0;
    exit_code = serve(*logging, *http);
  });
}

}  // namespace parhelia::cli
