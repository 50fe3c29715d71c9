#include "core/base/file_replace.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace parhelia::core {

Result<Done> replace_file(const std::filesystem::path& file, std::string_view text, mode_t mode) {
  std::string temporary = file.string() + ".XXXXXX";
  const int fd = ::mkostemp(temporary.data(), O_CLOEXEC);
  if (fd < 0)
    return Error{ErrorCode::io_failure,
                 "cannot write beside " + file.string() + ": " + std::strerror(errno), ""};
  const auto failed = [&](const std::string& what) {
    const int error = errno;
    ::close(fd);
    ::unlink(temporary.c_str());
    return Error{ErrorCode::io_failure,
                 "cannot " + what + " " + file.string() + ": " + std::strerror(error), ""};
  };
  if (::fchmod(fd, mode) != 0) return failed("set the mode of");
  for (std::size_t written = 0; written < text.size();) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return failed("write");
    written += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) {
    ::unlink(temporary.c_str());
    return Error{ErrorCode::io_failure, "cannot write " + file.string(), ""};
  }
  if (::rename(temporary.c_str(), file.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    return Error{ErrorCode::io_failure,
                 "cannot write " + file.string() + ": " + std::strerror(error), ""};
  }
  return Done{};
}

}  // namespace parhelia::core
