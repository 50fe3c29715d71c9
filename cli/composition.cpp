#include "cli/composition.h"

#include "core/local/local_backend.h"
#include "modal/backend/modal_backend.h"

namespace parhelia::cli {

core::Backends compose_backends(const std::filesystem::path& home, const std::string& parhelia) {
  core::Backends backends = core::local_backends(home, parhelia);  // the default
  backends.add(std::make_unique<modal::ModalBackend>(home, parhelia));
  return backends;
}

}  // namespace parhelia::cli
