#include "cli/composition.h"

#include "core/local/local_backend.h"

namespace parhelia::cli {

core::Backends compose_backends(const std::filesystem::path& home, const std::string& parhelia) {
  core::Backends backends;
  backends.add(std::make_unique<core::LocalBackend>(home, parhelia));  // the default
  return backends;
}

}  // namespace parhelia::cli
