#include "core/session_files.h"

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

}  // namespace parhelia::core
