// SHA-256, from OpenSSL's libcrypto (installed with libssh2-1-dev): what names checkpoints in
// their content-addressed store and proves a stored file whole before it is used.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace parhelia::core {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void add(const void* data, std::size_t size);
  void add(std::string_view text) { add(text.data(), text.size()); }
  // The digest as 64 lowercase hex characters; the object is spent afterwards.
  std::string hex();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

std::string sha256_hex(std::string_view data);
// The digest of a file's bytes, or nothing when it cannot be read.
std::optional<std::string> sha256_of_file(const std::filesystem::path& file);

}  // namespace parhelia::core
