#include "cli/composition.h"

#include "core/local/local_backend.h"

namespace parhelia::cli {

core::Backends compose_backends(const std::filesystem::path& home, const std::string& parhelia) {
  return core::local_backends(home, parhelia);  // the local backend, the default
}

}  // namespace parhelia::cli
