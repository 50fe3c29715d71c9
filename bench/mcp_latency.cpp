// Round-trip latency of the MCP server over its stdio pipes, as Claude Code sees it: spawn to
// initialize answered, then ping, tools/list and a status call on a warm server; then the same
// over Streamable HTTP (`parhelia mcp --http`, a new connection per request, JSON and SSE
// answers). Prints the median and p99 of each.
//   parhelia_bench_mcp [--quick]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <vector>

#include "bench/bench_stats.h"
#include "tests/support/http_client.h"
#include "tests/support/mcp_client.h"

using namespace parhelia::testing;
using Clock = std::chrono::steady_clock;

using parhelia::bench::measure;
using parhelia::bench::report;

int main(int argc, char** argv) {
  if (argc > 2 || (argc == 2 && std::strcmp(argv[1], "--quick") != 0)) {
    std::fprintf(stderr, "usage: parhelia_bench_mcp [--quick]\n");
    return 2;
  }
  const bool quick = argc == 2;
  const int spawns = quick ? 20 : 200;
  const int round_trips = quick ? 500 : 5000;

  std::vector<double> to_initialized, to_exit;
  for (int i = 0; i < spawns; ++i) {
    const auto start = Clock::now();
    McpClient client({.debug_tools = false});
    client.initialize();
    const auto initialized = Clock::now();
    client.close_input();
    client.wait_exit(2s);
    to_initialized.push_back(
        std::chrono::duration<double, std::micro>(initialized - start).count());
    to_exit.push_back(
        std::chrono::duration<double, std::micro>(Clock::now() - initialized).count());
  }
  report("spawn -> initialize answered", to_initialized);
  report("end of input -> exit", to_exit);

  McpClient client({.debug_tools = false});
  client.initialize();
  report("ping", measure(round_trips, [&] { client.request("ping"); }));
  report("tools/list", measure(round_trips, [&] { client.request("tools/list"); }));
  report("tools/call status", measure(round_trips / 5, [&] { client.call_tool("status"); }));
  report("resources/read (skill)", measure(round_trips / 5, [&] {
           client.request("resources/read", {{"uri", "parhelia://skills/discover-parhelia"}});
         }));

  HttpMcpServer http;
  const std::string session = http.open_session();
  const std::vector<std::pair<std::string, std::string>> version = {
      {"MCP-Protocol-Version", "2025-11-25"}};
  const nlohmann::json ping = {{"jsonrpc", "2.0"}, {"id", 2}, {"method", "ping"}};
  const nlohmann::json list = {{"jsonrpc", "2.0"}, {"id", 3}, {"method", "tools/list"}};
  report("http ping (JSON answer)",
         measure(round_trips / 5, [&] { http.post(ping, session, version); }));
  report("http ping (SSE answer)", measure(round_trips / 5, [&] {
           http.post(ping, session, version, "application/json, text/event-stream");
         }));
  report("http tools/list", measure(round_trips / 5, [&] { http.post(list, session, version); }));
  // A session at a time (initialize, initialized, DELETE): sessions are capped at 64.
  report("http session opened and ended", measure(quick ? 20 : 200, [&] {
           const std::string id = http.open_session();
           parhelia::testing::http_request(
               http.port(), {.method = "DELETE", .headers = {{"Mcp-Session-Id", id}}});
         }));
  return 0;
}
