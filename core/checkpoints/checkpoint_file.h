// The file a checkpoint is kept in: "PARHELIA-CHECKPOINT 1\n", the manifest's length and the
// manifest (JSON, listing its parts), then the parts' bytes one after another. Its name is the
// SHA-256 of all of it. It is written under a temporary name, synced, read back and hashed,
// and only then renamed into place, so a crash at any instant leaves either the whole file
// under its hash or nothing a reader would take for a checkpoint. The manifest's strings may
// be any bytes (file names need not be UTF-8): they are written so that JSON can hold them and
// read back exactly as they were given.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/base/result.h"

namespace parhelia::core {

struct CheckpointPart {
  std::string name;              // "workspace.patch", "transcript/<file>", ...
  std::filesystem::path source;  // the bytes, from a file already written
};

struct StoredFile {
  std::string hash;  // SHA-256, hex
  std::filesystem::path path;
  std::uint64_t size = 0;
};

// Told how many bytes are written so far, of how many.
using WriteProgress = std::function<void(std::uint64_t written, std::uint64_t total)>;

// Writes the checkpoint file into `store_dir` (as <hash>.ckpt) by way of `store_dir`/tmp.
Result<StoredFile> write_checkpoint_file(const std::filesystem::path& store_dir,
                                         nlohmann::json manifest,
                                         const std::vector<CheckpointPart>& parts,
                                         const WriteProgress& progress = {});

// The manifest of a checkpoint file, with "parts": [{name, size, offset}].
Result<nlohmann::json> read_checkpoint_manifest(const std::filesystem::path& file);

// Copies one part's bytes out to `destination`.
Result<Done> extract_checkpoint_part(const std::filesystem::path& file, const std::string& name,
                                     const std::filesystem::path& destination);

// Whether the file's bytes still hash to `hash`; a sentence naming the damage otherwise.
Result<Done> verify_stored_file(const std::filesystem::path& file, const std::string& hash);

// Moves a finished temporary file to its final name durably: the data synced before the
// rename, the directory after it.
Result<Done> publish_file(const std::filesystem::path& temporary,
                          const std::filesystem::path& final_path);

// Removes what writers that died left in `store_dir`/tmp, once older than any live write.
void remove_stale_temporaries(const std::filesystem::path& store_dir);

// A fresh temporary name in `store_dir`/tmp (created if needed).
std::filesystem::path temporary_name(const std::filesystem::path& store_dir,
                                     const std::string& suffix);

}  // namespace parhelia::core
