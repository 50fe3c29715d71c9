// Fuzz target: the reader of the agent's stream-json (core::read_agent_line). Every line the
// agent prints (a session can print anything) goes through it in the supervisor; it must
// answer for any bytes, never crash or throw.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/agent_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto update =
      parhelia::core::read_agent_line(std::string_view(reinterpret_cast<const char*>(data), size));
  if (update && update->result) (void)update->result->json.size();
  return 0;
}
