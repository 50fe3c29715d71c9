// The MCP face's entry points: `parhelia mcp` serves MCP on stdin/stdout (or, with --http, over
// Streamable HTTP) over a session service until its input ends or a signal stops it.
//
// Declared here and defined in tools/ (tools/mcp_face.cpp), because cli/ must start the face
// without seeing the server or the tools: the terminal face depends on core/ and on this one
// declaration, never on the MCP layer, and a test keeps cli/ from including tools/ or server/.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>

#include "transport/streamable_http.h"

namespace parhelia::core {
class SessionService;
}

namespace parhelia::transport {

struct McpFaceOptions {
  std::size_t page_size = 50;  // items per page of tools/list, resources/list, …
  // Adds debug_wait, a tool for exercising progress and cancellation.
  bool debug_tools = false;
};

// Serves until the end of input or SIGTERM/SIGINT and returns the exit status (0); the
// service is reconciled once the client has its answer to initialize. Exits within 2 s of
// the end, even when a request does not notice its cancellation.
int serve_mcp_face(core::SessionService& service, const McpFaceOptions& options);

// The same face over Streamable HTTP (`parhelia mcp --http`): one MCP session per
// Mcp-Session-Id, all over one toolset. Prints the endpoint's URL on stdout once it listens;
// serves until SIGTERM/SIGINT. Returns 0, or 1 with a sentence on stderr when it cannot listen.
// `http.protocol_versions` is filled in here.
int serve_mcp_face_http(core::SessionService& service, const McpFaceOptions& options,
                        StreamableHttpOptions http);

// What mcp-manifest.json says of the face besides its lists: who it is (as initialize's
// serverInfo says), how a client starts it, and what it speaks (`parhelia mcp --describe`).
nlohmann::json mcp_face_description();

}  // namespace parhelia::transport
