// ~/.modal.toml is the user's file, but any bytes must give profiles or an error, never a
// crash or a hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "modal/toml_profiles.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto parsed = parhelia::modal::parse_toml_profiles(
      std::string_view(reinterpret_cast<const char*>(data), size));
  if (parsed) {
    for (const auto& [profile, keys] : parsed.value()) (void)keys.size();
  }
  return 0;
}
