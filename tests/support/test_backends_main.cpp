// The composition root of the parhelia the tests drive beside the product's: the local backend
// (the default), and the tests' own (test_backends.h).
#include "cli/composition.h"
#include "core/local/local_backend.h"
#include "tests/support/test_backends.h"

namespace parhelia::cli {

core::Backends compose_backends(const std::filesystem::path& home, const std::string& parhelia) {
  core::Backends backends = core::local_backends(home, parhelia);
  backends.add(std::make_unique<testing::ProcessBackend>(home, parhelia));
  backends.add(std::make_unique<testing::RecordedRemoteBackend>());
  return backends;
}

}  // namespace parhelia::cli
