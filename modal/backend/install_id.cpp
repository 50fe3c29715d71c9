#include "modal/backend/install_id.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace parhelia::modal {
namespace {

std::string read_id(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string id;
  std::getline(in, id);
  return id;
}

}  // namespace

core::Result<std::string> install_id(const std::filesystem::path& home) {
  const auto file = home / "install-id";
  if (std::string id = read_id(file); !id.empty()) return id;
  unsigned char bytes[8];
  const int random = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  const bool got = random >= 0 && ::read(random, bytes, sizeof bytes) == sizeof bytes;
  if (random >= 0) ::close(random);
  if (!got) {
    return core::Error{core::ErrorCode::io_failure, "/dev/urandom could not be read.",
                       "Parhelia needs the system's random source to name this install."};
  }
  std::ostringstream hex;
  hex << "pi-";
  for (unsigned char b : bytes) hex << "0123456789abcdef"[b >> 4] << "0123456789abcdef"[b & 15];
  // Written beside it and linked into place: of two processes making it at once, both end up
  // with the one that was linked first.
  std::error_code ec;
  std::filesystem::create_directories(home, ec);
  const auto temporary = home / ("install-id." + std::to_string(::getpid()));
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << hex.str() << "\n";
    if (!out.flush()) {
      return core::Error{core::ErrorCode::io_failure,
                         "The install id could not be written under " + home.string() + ".",
                         "Check that PARHELIA_HOME is writable."};
    }
  }
  const bool linked = ::link(temporary.c_str(), file.c_str()) == 0 || errno == EEXIST;
  std::filesystem::remove(temporary, ec);
  if (!linked) {
    return core::Error{
        core::ErrorCode::io_failure,
        "The install id could not be kept in " + file.string() + ": " + std::strerror(errno) + ".",
        "Check that PARHELIA_HOME is writable."};
  }
  std::string id = read_id(file);
  if (id.empty()) {
    return core::Error{core::ErrorCode::io_failure, file.string() + " is empty.",
                       "Delete it; Parhelia makes a new one."};
  }
  return id;
}

}  // namespace parhelia::modal
