#include "core/agent_transcript.h"

#include <algorithm>
#include <fstream>

#include "core/sha256.h"

namespace parhelia::core {

namespace fs = std::filesystem;

std::string claude_project_key(const std::string& working_directory) {
  std::string key;
  for (std::size_t i = 0; i < working_directory.size(); ++i) {
    const auto c = static_cast<unsigned char>(working_directory[i]);
    if (std::isalnum(c) && c < 0x80) {
      key.push_back(static_cast<char>(c));
    } else if ((c & 0xC0) != 0x80) {
      key.push_back('-');  // one per character: the continuation bytes of UTF-8 add none
    }
  }
  return key;
}

fs::path transcript_dir(const fs::path& home, const fs::path& working_directory) {
  return home / ".claude" / "projects" / claude_project_key(working_directory.string());
}

Result<Done> copy_transcript(const fs::path& from, const fs::path& destination) {
  std::error_code ec;
  fs::create_directories(destination, ec);
  if (!fs::exists(from, ec)) return Done{};
  fs::copy(from, destination, fs::copy_options::recursive | fs::copy_options::overwrite_existing,
           ec);
  if (ec) {
    return Error{ErrorCode::io_failure,
                 "Cannot copy the transcript in " + from.string() + ": " + ec.message(), ""};
  }
  for (auto it = fs::recursive_directory_iterator(destination, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path().extension() != ".jsonl" || !it->is_regular_file(ec)) continue;
    std::ifstream in(it->path(), std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!text.empty() && text.back() != '\n') {
      const auto last = text.rfind('\n');
      fs::resize_file(it->path(), last == std::string::npos ? 0 : last + 1, ec);
    }
  }
  return Done{};
}

TranscriptFiles read_transcript_dir(const fs::path& dir) {
  TranscriptFiles transcript;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec))
      transcript.files.emplace_back(fs::relative(it->path(), dir, ec).string(), it->path());
  }
  std::sort(transcript.files.begin(), transcript.files.end());
  Sha256 digest;
  std::string buffer(1 << 16, '\0');
  for (const auto& [name, path] : transcript.files) {
    digest.add(name);
    digest.add("\0", 1);
    std::ifstream in(path, std::ios::binary);
    while (in) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      digest.add(buffer.data(), static_cast<std::size_t>(in.gcount()));
    }
    digest.add("\0", 1);
  }
  transcript.sha256 = digest.hex();
  return transcript;
}

}  // namespace parhelia::core
