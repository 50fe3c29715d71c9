#include "core/session/session_files.h"

#include <sys/stat.h>

#include <cstdio>

namespace parhelia::core {

SessionFiles SessionFiles::of(const std::filesystem::path& parhelia_home, const std::string& id) {
  const auto dir = parhelia_home / "sessions" / id;
  return {dir,
          dir / "workspace",
          dir / "home",
          dir / "session.log",
          dir / "exit_code",
          dir / "result.patch",
          dir / "stop_grace",
          dir / "tmux.sock",
          dir / "checkpoint.index",
          dir / "checkpoint.request",
          dir / "checkpoint.answer",
          dir / "checkpoint-staging",
          dir / "checkpoint.lock",
          dir / "known_hosts",
          dir / "git"};
}

Result<Done> continue_line_in_place(const std::filesystem::path& parhelia_home,
                                    const std::string& parent_id, const std::string& id) {
  namespace fs = std::filesystem;
  const SessionFiles parent = SessionFiles::of(parhelia_home, parent_id);
  const SessionFiles self = SessionFiles::of(parhelia_home, id);
  const auto failed = [&](const std::string& why) {
    return Error{ErrorCode::io_failure,
                 "Cannot lead " + parent.workspace.string() + " on to " + self.workspace.string() +
                     ": " + why + ".",
                 "Resume it in the sandbox, or move that folder away and resume again."};
  };
  struct stat st {};
  if (::lstat(parent.workspace.c_str(), &st) != 0) return Done{};  // its files are gone
  if (S_ISDIR(st.st_mode)) {
    const fs::path ended = parent.dir / "workspace.ended";
    if (std::rename(parent.workspace.c_str(), ended.c_str()) != 0)
      return failed("its files could not be moved to " + ended.string());
  } else if (!S_ISLNK(st.st_mode)) {
    return failed("it is neither a folder nor a link");
  }
  // Made beside it and renamed over it, so that the path always leads somewhere.
  const fs::path link = parent.dir / ("workspace.link-" + id);
  std::error_code ec;
  fs::remove(link, ec);
  fs::create_directory_symlink(self.workspace, link, ec);
  if (ec) return failed(ec.message());
  if (std::rename(link.c_str(), parent.workspace.c_str()) != 0) {
    fs::remove(link, ec);
    return failed("the link could not be put in place");
  }
  return Done{};
}

std::optional<std::string> line_continued_by(const std::filesystem::path& parhelia_home,
                                             const std::string& id) {
  const SessionFiles files = SessionFiles::of(parhelia_home, id);
  std::error_code ec;
  if (!std::filesystem::is_symlink(std::filesystem::symlink_status(files.workspace, ec)))
    return std::nullopt;
  const auto target = std::filesystem::read_symlink(files.workspace, ec);
  if (ec || target.filename() != "workspace") return std::nullopt;
  return target.parent_path().filename().string();
}

WorkPaths work_paths(const SessionFiles& files, bool sandboxed) {
  if (!sandboxed) return {files.workspace, files.home};
  return {std::filesystem::path(kSandboxWorkspace), std::filesystem::path(kSandboxHome)};
}

}  // namespace parhelia::core
