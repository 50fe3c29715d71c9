// The floor `parhelia mcp` is measured against: a C program that answers every request of an
// MCP client with a fixed initialize result and does nothing else (no parsing, no state), and
// prints a version for --version. parhelia_bench_startup times both the same way.
#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--version") == 0) {
    puts("0.1.0");
    return 0;
  }
  static char line[1 << 16];
  while (fgets(line, sizeof line, stdin)) {
    const char* id = strstr(line, "\"id\":");
    if (!id) continue;  // a notification: no answer
    id += 5;
    const int id_length = (int)strcspn(id, ",}");
    printf(
        "{\"jsonrpc\":\"2.0\",\"id\":%.*s,\"result\":{\"protocolVersion\":\"2025-11-25\","
        "\"capabilities\":{\"tools\":{}},\"serverInfo\":{\"name\":\"c-responder\",\"version\":"
        "\"0.1.0\"}}}\n",
        id_length, id);
    fflush(stdout);
  }
  return 0;
}
