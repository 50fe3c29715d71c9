#include "core/agent/agent_transcript.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "core/base/sha256.h"

namespace parhelia::core {

namespace fs = std::filesystem;

namespace {

// A descriptor closed when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_;
};

constexpr int kOpenDirectory = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

// Opens the directory `name` under `dir`, never through a link.
int open_directory_at(int dir, const char* name) {
  return ::openat(dir, name, kOpenDirectory);
}

// The names in a directory held open (at most `most`), sorted so that what a cap leaves out
// does not depend on the order the file system lists them in.
std::vector<std::string> names_in(int dir, std::size_t most) {
  std::vector<std::string> names;
  const int listed = ::dup(dir);
  if (listed < 0) return names;
  DIR* stream = ::fdopendir(listed);
  if (stream == nullptr) {
    ::close(listed);
    return names;
  }
  while (const dirent* entry = ::readdir(stream)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
    if (names.size() >= most) break;
  }
  ::closedir(stream);
  std::sort(names.begin(), names.end());
  return names;
}

bool is_jsonl(const std::string& name) {
  return name.size() > 6 && name.compare(name.size() - 6, 6, ".jsonl") == 0;
}

bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

class TranscriptCopier {
 public:
  TranscriptCopier(const TranscriptLimits& limits, fs::path destination, std::string shown)
      : limits_(limits), destination_(std::move(destination)), shown_(std::move(shown)) {}

  // Copies what is under `from` into `to`; `relative` is where both are below the transcript
  // directory ("" at its top).
  void copy_directory(int from, int to, const std::string& relative, int depth) {
    const std::size_t most = limits_.files * 4;  // room for what is left out, not without end
    auto names = names_in(from, most + 1);
    if (names.size() > most) {
      names.pop_back();
      leave_out(relative.empty() ? "." : relative,
                "some of its entries: it has more than " + std::to_string(most));
    }
    for (const std::string& name : names) {
      const std::string path = relative.empty() ? name : relative + "/" + name;
      struct stat st {};
      if (::fstatat(from, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone
      if (S_ISLNK(st.st_mode)) {
        leave_out(path, "a link, not a file");
      } else if (S_ISDIR(st.st_mode)) {
        if (depth >= limits_.depth) {
          leave_out(path, "deeper than " + std::to_string(limits_.depth) + " directories");
          continue;
        }
        Fd below(open_directory_at(from, name.c_str()));
        if (!below.ok()) {
          leave_out(path, errno == ELOOP || errno == ENOTDIR ? "a link, not a directory"
                                                             : std::strerror(errno));
          continue;
        }
        ::mkdirat(to, name.c_str(), 0700);
        Fd copy(open_directory_at(to, name.c_str()));
        if (!copy.ok()) {
          error_ = "Cannot create " + (destination_ / path).string() + ": " + std::strerror(errno);
          return;
        }
        copy_directory(below.get(), copy.get(), path, depth + 1);
      } else if (S_ISREG(st.st_mode)) {
        copy_file(from, name, to, path);
      } else {
        leave_out(path, "not a regular file");
      }
      if (!error_.empty()) return;
    }
  }

  Result<TranscriptFiles> finish() {
    if (!error_.empty()) return Error{ErrorCode::io_failure, error_ + ".", ""};
    std::sort(transcript_.files.begin(), transcript_.files.end());
    Sha256 digest;
    std::vector<char> buffer(1 << 16);
    for (const auto& [name, path] : transcript_.files) {
      digest.add(name);
      digest.add("\0", 1);
      Fd in(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      for (ssize_t n; in.ok() && (n = ::read(in.get(), buffer.data(), buffer.size())) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        digest.add(buffer.data(), static_cast<std::size_t>(n));
      }
      digest.add("\0", 1);
    }
    transcript_.sha256 = digest.hex();
    return std::move(transcript_);
  }

  void leave_out(const std::string& path, std::string why) {
    transcript_.left_out.push_back({shown_ + path, std::move(why)});
  }

 private:
  void copy_file(int from_dir, const std::string& name, int to_dir, const std::string& path) {
    // O_NONBLOCK: should a FIFO have taken the file's place since it was looked at, opening it
    // does not wait for a writer.
    Fd in(::openat(from_dir, name.c_str(),
                   O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (!in.ok()) {
      leave_out(path, errno == ELOOP ? "a link, not a file" : std::strerror(errno));
      return;
    }
    struct stat st {};
    if (::fstat(in.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
      leave_out(path, "not a regular file");
      return;
    }
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size > limits_.file_bytes) {
      leave_out(path, size_words(size) + ", over the " + size_words(limits_.file_bytes) +
                          " a transcript file may have");
      return;
    }
    if (total_ + size > limits_.total_bytes) {
      leave_out(path, size_words(size) + ", past the " + size_words(limits_.total_bytes) +
                          " a checkpoint keeps of a transcript");
      return;
    }
    if (transcript_.files.size() >= limits_.files) {
      leave_out(path, "past the " + std::to_string(limits_.files) +
                          " files a checkpoint keeps of a transcript");
      return;
    }
    ::fcntl(in.get(), F_SETFL, 0);  // a regular file: plain blocking reads from here on
    const fs::path copy_path = destination_ / path;
    Fd out(
        ::openat(to_dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out.ok()) {
      error_ = "Cannot write " + copy_path.string() + ": " + std::strerror(errno);
      return;
    }
    // At most the size it had when opened: a file that grows while it is copied adds nothing
    // past the cap.
    std::vector<char> buffer(1 << 20);
    std::uint64_t copied = 0;
    std::uint64_t whole_lines = 0;  // bytes up to and including the last newline
    while (copied < size) {
      const auto want =
          static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), size - copied));
      const ssize_t n = ::read(in.get(), buffer.data(), want);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      const auto got = static_cast<std::size_t>(n);
      if (!write_all(out.get(), buffer.data(), got)) {
        error_ = "Cannot write " + copy_path.string() + ": " + std::strerror(errno);
        return;
      }
      for (std::size_t i = got; i > 0; --i) {
        if (buffer[i - 1] == '\n') {
          whole_lines = copied + i;
          break;
        }
      }
      copied += got;
    }
    std::uint64_t kept = copied;
    if (is_jsonl(name) && whole_lines < copied) {
      kept = whole_lines;  // the line the agent is still writing is not a line yet
      if (::ftruncate(out.get(), static_cast<off_t>(kept)) != 0) {
        error_ = "Cannot cut " + copy_path.string() + ": " + std::strerror(errno);
        return;
      }
    }
    total_ += kept;
    transcript_.files.emplace_back(path, copy_path);
  }

  const TranscriptLimits& limits_;
  fs::path destination_;
  std::string shown_;  // how the session would name the transcript directory
  TranscriptFiles transcript_;
  std::uint64_t total_ = 0;
  std::string error_;
};

}  // namespace

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

TranscriptUsageReader::TranscriptUsageReader(fs::path home, TranscriptReadLimits limits)
    : home_(std::move(home)), limits_(limits) {}

TranscriptUsage TranscriptUsageReader::read(bool whole) {
  TranscriptUsage usage;
  const std::uint64_t left = limits_.total_bytes - std::min(total_read_, limits_.total_bytes);
  std::uint64_t budget = whole ? left : std::min(left, limits_.bytes_per_read);
  if (budget == 0) return usage;
  // Down from HOME one directory at a time, never through a link.
  Fd from(::open(home_.c_str(), kOpenDirectory));
  for (const char* step : {".claude", "projects"}) {
    if (!from.ok()) return usage;  // the agent has not begun
    from = Fd(open_directory_at(from.get(), step));
  }
  if (from.ok()) read_directory(from.get(), "", 0, usage, budget);
  return usage;
}

void TranscriptUsageReader::read_directory(int dir, const std::string& relative, int depth,
                                           TranscriptUsage& into, std::uint64_t& budget) {
  for (const std::string& name : names_in(dir, limits_.files * 4)) {
    if (budget == 0) return;
    const std::string path = relative.empty() ? name : relative + "/" + name;
    struct stat st {};
    if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISDIR(st.st_mode) && depth < limits_.depth) {
      Fd below(open_directory_at(dir, name.c_str()));
      if (below.ok()) read_directory(below.get(), path, depth + 1, into, budget);
    } else if (S_ISREG(st.st_mode) && is_jsonl(name)) {
      read_file(dir, name, path, into, budget);
    }
  }
}

void TranscriptUsageReader::read_file(int dir, const std::string& name, const std::string& relative,
                                      TranscriptUsage& into, std::uint64_t& budget) {
  auto known = files_.find(relative);
  if (known == files_.end() && files_.size() >= limits_.files) return;
  // O_NONBLOCK: a FIFO put in the file's place since it was looked at does not wait.
  Fd in(::openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
  struct stat st {};
  if (!in.ok() || ::fstat(in.get(), &st) != 0 || !S_ISREG(st.st_mode)) return;
  Followed& file = known != files_.end() ? known->second : files_[relative];
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (file.device != st.st_dev || file.inode != st.st_ino || size < file.offset) {
    file = Followed{st.st_dev, st.st_ino};  // another file, or one cut: read from its start
  }
  if (buffer_.empty()) buffer_.resize(1 << 20);
  while (file.offset < size && budget > 0) {
    const auto want = static_cast<std::size_t>(
        std::min<std::uint64_t>({buffer_.size(), size - file.offset, budget}));
    const ssize_t n = ::pread(in.get(), buffer_.data(), want, static_cast<off_t>(file.offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    const auto got = static_cast<std::size_t>(n);
    file.offset += got;
    budget -= got;
    total_read_ += got;
    const std::string_view bytes(buffer_.data(), got);
    for (std::size_t at = 0; at < got;) {
      const std::size_t newline = bytes.find('\n', at);
      const std::size_t end = newline == std::string_view::npos ? got : newline;
      const std::string_view piece = bytes.substr(at, end - at);
      if (newline != std::string_view::npos && file.partial.empty() && !file.overlong) {
        take_line(piece, into);  // a whole line in this read: no copy
      } else {
        if (!file.overlong) file.partial.append(piece);
        if (file.partial.size() > kMaxAgentLineBytes) {
          file.partial.clear();
          file.overlong = true;
        }
        if (newline != std::string_view::npos) {
          if (!file.overlong) take_line(file.partial, into);
          file.partial.clear();
          file.overlong = false;
        }
      }
      at = end + 1;
    }
  }
}

void TranscriptUsageReader::take_line(std::string_view line, TranscriptUsage& into) {
  auto entry = read_transcript_line(line);
  if (!entry) return;
  if (entry->usage) into.messages.push_back(std::move(*entry->usage));
  if (entry->cost_state) into.cost_states.push_back(std::move(*entry->cost_state));
}

Result<TranscriptFiles> copy_transcript(const fs::path& home, const fs::path& working_directory,
                                        const fs::path& destination,
                                        const TranscriptLimits& limits) {
  std::error_code ec;
  fs::create_directories(destination, ec);
  Fd to(::open(destination.c_str(), kOpenDirectory));
  if (!to.ok()) {
    return Error{ErrorCode::io_failure,
                 "Cannot create " + destination.string() + ": " + std::strerror(errno) + ".", ""};
  }
  const std::string key = claude_project_key(working_directory.string());
  TranscriptCopier copier(limits, destination, ".claude/projects/" + key + "/");
  // Down from HOME one directory at a time, each opened under the one before without
  // following a link: a link anywhere on the way is not taken.
  Fd from(::open(home.c_str(), kOpenDirectory));
  std::string shown;
  for (const char* step : {".claude", "projects", key.c_str()}) {
    if (!from.ok()) break;
    shown += shown.empty() ? step : std::string("/") + step;
    Fd below(open_directory_at(from.get(), step));
    if (!below.ok() && (errno == ELOOP || errno == ENOTDIR)) {
      TranscriptFiles none = copier.finish().value();
      none.left_out.push_back({shown, "a link, not a directory"});
      return none;
    }
    from = std::move(below);
  }
  if (!from.ok()) return copier.finish();  // the agent has not begun
  copier.copy_directory(from.get(), to.get(), "", 0);
  return copier.finish();
}

}  // namespace parhelia::core
