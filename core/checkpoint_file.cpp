#include "core/checkpoint_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <random>

#include "core/sha256.h"

namespace parhelia::core {
namespace {

namespace fs = std::filesystem;
constexpr std::string_view kMagic = "PARHELIA-CHECKPOINT 1\n";
constexpr std::size_t kMaxManifest = 64 << 20;

Error io_error(const std::string& what, const fs::path& path, const std::string& why) {
  return Error{ErrorCode::io_failure, "Cannot " + what + " " + path.string() + ": " + why + ".",
               "Check the disk under $PARHELIA_HOME (space and permissions)."};
}

bool sync_path(const fs::path& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return false;
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  return synced;
}

// Reads the header and manifest; `body_start` is where the first part begins.
Result<nlohmann::json> read_header(std::ifstream& in, const fs::path& file,
                                   std::uint64_t& body_start) {
  std::string magic(kMagic.size(), '\0');
  in.read(magic.data(), static_cast<std::streamsize>(magic.size()));
  std::string length_line;
  std::getline(in, length_line);
  std::size_t length = 0;
  try {
    length = std::stoull(length_line);
  } catch (const std::exception&) {
    length = kMaxManifest + 1;
  }
  if (!in || magic != kMagic || length > kMaxManifest) {
    return Error{ErrorCode::invalid_input, file.string() + " is not a Parhelia checkpoint.",
                 "Delete it with `parhelia checkpoint delete`."};
  }
  std::string text(length, '\0');
  in.read(text.data(), static_cast<std::streamsize>(length));
  auto manifest = nlohmann::json::parse(text, nullptr, false);
  if (!in || manifest.is_discarded() || !manifest.contains("parts")) {
    return Error{ErrorCode::invalid_input, "The manifest of " + file.string() + " is damaged.",
                 "Delete the checkpoint with `parhelia checkpoint delete`."};
  }
  body_start = static_cast<std::uint64_t>(in.tellg());
  std::uint64_t offset = body_start;
  for (auto& part : manifest["parts"]) {
    part["offset"] = offset;
    offset += part.value("size", std::uint64_t{0});
  }
  return manifest;
}

}  // namespace

void remove_stale_temporaries(const fs::path& store_dir) {
  constexpr auto kStale = std::chrono::hours(6);
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  for (const auto& entry : fs::directory_iterator(store_dir / "tmp", ec)) {
    const auto written = entry.last_write_time(ec);
    if (!ec && now - written > kStale) fs::remove(entry.path(), ec);
  }
}

fs::path temporary_name(const fs::path& store_dir, const std::string& suffix) {
  std::error_code ec;
  fs::create_directories(store_dir / "tmp", ec);
  std::random_device random;
  char name[32];
  std::snprintf(name, sizeof name, "%08x%08x", random(), random());
  return store_dir / "tmp" / (std::string(name) + suffix);
}

Result<Done> publish_file(const fs::path& temporary, const fs::path& final_path) {
  if (!sync_path(temporary, false)) return io_error("sync", temporary, std::strerror(errno));
  std::error_code ec;
  fs::rename(temporary, final_path, ec);
  if (ec) return io_error("rename into place", final_path, ec.message());
  sync_path(final_path.parent_path(), true);
  return Done{};
}

Result<Done> verify_stored_file(const fs::path& file, const std::string& hash) {
  auto actual = sha256_of_file(file);
  if (!actual) {
    return Error{ErrorCode::not_found, "The stored file " + file.string() + " is missing.",
                 "Its checkpoint cannot be restored; delete it and use another."};
  }
  if (*actual != hash) {
    return Error{ErrorCode::io_failure,
                 "The stored file " + file.string() +
                     " is damaged (its content no longer "
                     "matches its hash).",
                 "Its checkpoint cannot be restored; delete it and use another."};
  }
  return Done{};
}

Result<StoredFile> write_checkpoint_file(const fs::path& store_dir, nlohmann::json manifest,
                                         const std::vector<CheckpointPart>& parts,
                                         const WriteProgress& progress) {
  std::uint64_t total = 0;
  manifest["parts"] = nlohmann::json::array();
  for (const auto& part : parts) {
    std::error_code ec;
    const auto size = fs::file_size(part.source, ec);
    if (ec) return io_error("read", part.source, ec.message());
    manifest["parts"].push_back({{"name", part.name}, {"size", size}});
    total += size;
  }
  const std::string text = manifest.dump();
  const fs::path temporary = temporary_name(store_dir, ".partial");
  Sha256 digest;
  std::uint64_t written = 0;
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    const std::string header = std::string(kMagic) + std::to_string(text.size()) + "\n" + text;
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    digest.add(header);
    written += header.size();
    std::string buffer(1 << 20, '\0');
    for (const auto& part : parts) {
      std::ifstream in(part.source, std::ios::binary);
      while (in) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        const auto n = static_cast<std::size_t>(in.gcount());
        out.write(buffer.data(), static_cast<std::streamsize>(n));
        digest.add(buffer.data(), n);
        written += n;
        if (progress) progress(written, total + header.size());
      }
      if (in.bad()) return io_error("read", part.source, "read error");
    }
    out.flush();
    if (!out) {
      fs::remove(temporary);
      return io_error("write", temporary, "the disk refused the write (full?)");
    }
  }
  const std::string hash = digest.hex();
  // Read back what the disk holds, not what was meant to be written.
  if (auto verified = verify_stored_file(temporary, hash); !verified) {
    fs::remove(temporary);
    return verified.error();
  }
  const fs::path final_path = store_dir / (hash + ".ckpt");
  if (auto published = publish_file(temporary, final_path); !published) return published.error();
  return StoredFile{hash, final_path, written};
}

Result<nlohmann::json> read_checkpoint_manifest(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return Error{ErrorCode::not_found, "The checkpoint file " + file.string() + " is missing.",
                 "Delete the checkpoint with `parhelia checkpoint delete`."};
  }
  std::uint64_t body_start = 0;
  return read_header(in, file, body_start);
}

Result<Done> extract_checkpoint_part(const fs::path& file, const std::string& name,
                                     const fs::path& destination) {
  std::ifstream in(file, std::ios::binary);
  std::uint64_t body_start = 0;
  auto manifest = read_header(in, file, body_start);
  if (!manifest) return manifest.error();
  for (const auto& part : manifest.value()["parts"]) {
    if (part.value("name", "") != name) continue;
    std::error_code ec;
    fs::create_directories(destination.parent_path(), ec);
    std::ofstream out(destination, std::ios::binary | std::ios::trunc);
    in.seekg(static_cast<std::streamoff>(part["offset"].get<std::uint64_t>()));
    std::uint64_t left = part["size"].get<std::uint64_t>();
    std::string buffer(1 << 20, '\0');
    while (left > 0 && in) {
      const auto chunk = static_cast<std::streamsize>(std::min<std::uint64_t>(left, buffer.size()));
      in.read(buffer.data(), chunk);
      out.write(buffer.data(), in.gcount());
      left -= static_cast<std::uint64_t>(in.gcount());
    }
    out.flush();
    if (left != 0 || !out) return io_error("extract " + name + " from", file, "short read");
    return Done{};
  }
  return Error{ErrorCode::not_found, "The checkpoint " + file.string() + " has no " + name + ".",
               ""};
}

}  // namespace parhelia::core
