#include "core/checkpoints/checkpoint_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>

#include "core/base/sha256.h"
#include "core/base/untrusted_json.h"
#include "core/base/utf8.h"

namespace parhelia::core {
namespace {

namespace fs = std::filesystem;
constexpr std::string_view kMagic = "PARHELIA-CHECKPOINT 1\n";
constexpr std::size_t kMaxManifest = 64 << 20;

using json = nlohmann::json;

// JSON holds text, but what a manifest names (files of the workspace, of the transcript) are
// bytes: `caf\xe9.txt` is a valid name and no UTF-8. Such a string is kept twice: readable,
// with U+FFFD for the bytes that are not text, and exact, as hex in the field "<key>_hex" (an
// array element becomes {"text", "hex"}). Reading puts the exact bytes back, so what the
// manifest names comes back byte for byte. Keys ending in "_hex" are this encoding's alone.
constexpr std::string_view kHexSuffix = "_hex";

json text_and_hex(const std::string& bytes) {
  return {{"text", utf8_lossy(bytes)}, {"hex", hex_of(bytes)}};
}

// Rewrites every string that is not UTF-8; a key that is not is refused.
Result<Done> encode_bytes(json& value) {
  if (value.is_array()) {
    for (auto& element : value) {
      if (element.is_string() && !is_utf8(element.get_ref<const std::string&>())) {
        element = text_and_hex(element.get<std::string>());
      } else if (auto done = encode_bytes(element); !done) {
        return done;
      }
    }
  } else if (value.is_object()) {
    json hex_fields = json::object();
    for (auto& [key, member] : value.items()) {
      if (!is_utf8(key)) {
        return Error{ErrorCode::internal, "A checkpoint manifest key is not UTF-8.", ""};
      }
      if (member.is_string() && !is_utf8(member.get_ref<const std::string&>())) {
        hex_fields[key + std::string(kHexSuffix)] = hex_of(member.get<std::string>());
        member = utf8_lossy(member.get<std::string>());
      } else if (auto done = encode_bytes(member); !done) {
        return done;
      }
    }
    for (auto& [key, hex] : hex_fields.items()) value[key] = hex;
  }
  return Done{};
}

bool is_text_and_hex(const json& value) {
  return value.is_object() && value.size() == 2 && string_field(value, "text") &&
         string_field(value, "hex");
}

// The inverse of encode_bytes; false where a hex field is not hex.
bool decode_bytes(json& value) {
  if (value.is_array()) {
    for (auto& element : value) {
      if (is_text_and_hex(element)) {
        std::string bytes;
        if (!bytes_of_hex(element["hex"].get_ref<const std::string&>(), bytes)) return false;
        element = bytes;
      } else if (!decode_bytes(element)) {
        return false;
      }
    }
  } else if (value.is_object()) {
    std::vector<std::string> hex_keys;
    for (auto& [key, member] : value.items()) {
      const bool hex_field = key.size() > kHexSuffix.size() && key.ends_with(kHexSuffix);
      if (hex_field) {
        hex_keys.push_back(key);
      } else if (!decode_bytes(member)) {
        return false;
      }
    }
    for (const auto& key : hex_keys) {
      const auto hex = string_field(value, key);
      std::string bytes;
      if (!hex || !bytes_of_hex(*hex, bytes)) return false;
      value[key.substr(0, key.size() - kHexSuffix.size())] = bytes;
      value.erase(key);
    }
  }
  return true;
}

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
  const auto damaged = [&] {
    return Error{ErrorCode::invalid_input, "The manifest of " + file.string() + " is damaged.",
                 "Delete the checkpoint with `parhelia checkpoint delete`."};
  };
  if (!in || !manifest.is_object() || !manifest.contains("parts") ||
      !manifest["parts"].is_array() || !decode_bytes(manifest)) {
    return damaged();
  }
  body_start = static_cast<std::uint64_t>(in.tellg());
  std::uint64_t offset = body_start;
  for (auto& part : manifest["parts"]) {
    const auto size = count_field(part, "size", std::numeric_limits<std::int64_t>::max());
    if (!size || !string_field(part, "name")) return damaged();
    part["offset"] = offset;
    offset += static_cast<std::uint64_t>(*size);
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
  if (auto encoded = encode_bytes(manifest); !encoded) return encoded.error();
  // Every string is UTF-8 now: the dump cannot throw.
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
    if (part["name"].get_ref<const std::string&>() != name) continue;
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
