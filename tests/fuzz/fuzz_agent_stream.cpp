// Fuzz target: the readers of the agent's stream-json and transcript lines
// (core::read_agent_line, core::read_transcript_line). Every line the agent prints or writes
// in its HOME (a session can write anything) goes through them in the supervisor; they must
// answer for any bytes, never crash or throw.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/agent/agent_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto update =
      parhelia::core::read_agent_line(std::string_view(reinterpret_cast<const char*>(data), size));
  if (update && update->result) (void)update->result->json.size();
  const auto entry = parhelia::core::read_transcript_line(
      std::string_view(reinterpret_cast<const char*>(data), size));
  if (entry && entry->cost_state) (void)entry->cost_state->model_totals.size();
  return 0;
}
