#include "modal/backend/workspace_transfer.h"

#include <unistd.h>

#include <set>

#include "core/base/process.h"
#include "core/session/session.h"
#include "modal/backend/sandbox_exec.h"

namespace parhelia::modal {
namespace {

using namespace std::chrono_literals;
constexpr auto kTransferTimeout = std::chrono::seconds(1800);

// Files the extraction makes are the agent's when the sandbox runs as root (Modal's default)
// and the image has the agent user; in the stand-in neither holds.
// The agent's repository (.git, the base commit) is made again there rather than sent: it
// holds every file once more.
constexpr const char* kUnpack =
    "mkdir -p ../parhelia && tar xzf - --no-same-owner && "
    "{ ! command -v git >/dev/null || { git init -q -b parhelia-base && git add -A && "
    "git -c user.name=Parhelia -c user.email=parhelia@localhost commit -q --allow-empty "
    "--no-verify -m 'Parhelia base'; }; } && touch ../parhelia/uploaded && "
    "if [ \"$(id -u)\" = 0 ] && id agent >/dev/null 2>&1; then "
    "chown -R agent:agent . ../parhelia; fi";
// The agent's transcripts, where Claude Code keeps them for /workspace: under the agent's
// HOME (the `agent` user's when the sandbox runs as root and has one, as the work does).
constexpr const char* kTranscriptsHere =
    "h=\"$HOME\"; if [ \"$(id -u)\" = 0 ] && id agent >/dev/null 2>&1; then h=/home/agent; fi; "
    "d=\"$h/.claude/projects/$(pwd | sed 's/[^A-Za-z0-9]/-/g')\"; ";
constexpr const char* kPackTranscripts = "if [ -d \"$d\" ]; then tar czf - -C \"$d\" .; fi";
constexpr const char* kUnpackTranscripts =
    "mkdir -p \"$d\" && tar xzf - --no-same-owner -C \"$d\" && "
    "if [ \"$(id -u)\" = 0 ] && id agent >/dev/null 2>&1; then chown -R agent:agent "
    "\"$h/.claude\"; fi";
// On a base image: what the working copy no longer has goes (the names on stdin), and the
// agent's repository is made again over the files as they are now.
constexpr const char* kRemoveListed = "xargs -0 rm -f --";
constexpr const char* kForgetBaseRepository = "rm -rf .git";
// The agent's repository is its own: what it does there is not part of the changes.
constexpr const char* kListFiles =
    "find . -path ./.git -prune -o \\( -type f -o -type l \\) -print0";
constexpr const char* kPackChanged =
    "find . -path ./.git -prune -o -cnewer ../parhelia/uploaded \\( -type f -o -type l \\) "
    "-print0 | tar czf - --null --no-recursion -T -";

ExecSpec exec_in_workspace(const std::string& session_id, const std::string& purpose,
                           const char* script) {
  ExecSpec spec;
  spec.exec_id = exec_id_for(session_id, purpose);
  spec.argv = {"sh", "-c", script};
  spec.workdir = kSandboxWorkspace;
  return spec;
}

core::Result<std::string> run_here(std::vector<std::string> argv, const std::string& input,
                                   const char* what) {
  core::ProcessSpec spec;
  spec.argv = std::move(argv);
  spec.pipe_stdin = true;  // never this process's own: a `-T -` with no names reads none
  spec.pipe_stdout = true;
  spec.pipe_stderr = true;
  auto run = core::run_captured(spec, kTransferTimeout, input);
  if (!run) return run.error();
  if (run->exit_status != 0) {
    return core::Error{core::ErrorCode::io_failure,
                       std::string(what) + " failed: " + core::shorten(run->err, 300),
                       "Check the disk and the files' permissions under the session's folder."};
  }
  return std::move(run->out);
}

// What came from the sandbox, unpacked into `into` as the sandbox has it. The archive is the
// sandbox's to make, so it is unpacked into an empty folder first (GNU tar keeps what it
// writes inside that one), and each file is then moved into place with every folder on its
// way made a real folder here: a link here where the sandbox has a folder (the work replaced
// it) is removed, never followed out of `into`.
core::Result<core::Done> unpack_from_sandbox(const std::string& archive,
                                             const std::filesystem::path& into,
                                             const std::filesystem::path& staging,
                                             const char* what) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  fs::create_directories(into, ec);
  auto unpacked =
      run_here({"tar", "xzf", "-", "--no-same-owner", "-C", staging.string()}, archive, what);
  if (!unpacked) {
    fs::remove_all(staging, ec);
    return unpacked.error();
  }
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(staging, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_directory(ec) || it->is_symlink(ec)) files.push_back(it->path());
  }
  for (const fs::path& staged : files) {
    const fs::path relative = staged.lexically_relative(staging);
    fs::path at = into;
    for (const auto& part : relative.parent_path()) {
      at /= part;
      const auto status = fs::symlink_status(at, ec);
      if (fs::exists(status) && !fs::is_directory(status)) fs::remove(at, ec);
      fs::create_directory(at, ec);
    }
    const fs::path target = into / relative;
    if (fs::is_directory(fs::symlink_status(target, ec))) fs::remove_all(target, ec);
    fs::rename(staged, target, ec);
    if (ec) {
      fs::remove_all(staging, ec);
      return core::Error{core::ErrorCode::io_failure,
                         std::string(what) + " failed: " + target.string() + ": " + ec.message(),
                         "Check the disk and the files' permissions under the session's folder."};
    }
  }
  fs::remove_all(staging, ec);
  return core::Done{};
}

core::Error failed_in_sandbox(const char* what, const SandboxRun& run) {
  return core::Error{core::ErrorCode::unavailable,
                     std::string(what) + " in the sandbox exited with " +
                         std::to_string(run.exit_code) + ": " + core::shorten(run.out, 300),
                     "The image needs sh, tar, gzip and find (Parhelia's own has them); check "
                     "the \"modal.image\" settings of config.json."};
}

}  // namespace

core::Result<std::uint64_t> upload_working_copy(CommandRouter& router,
                                                const std::string& session_id,
                                                const std::filesystem::path& working_copy) {
  auto archive = run_here({"tar", "czf", "-", "--exclude=./.git", "-C", working_copy.string(), "."},
                          "", "Packing the workspace");
  if (!archive) return archive.error();
  auto run = run_in_sandbox(router, exec_in_workspace(session_id, "upload", kUnpack),
                            archive.value(), kTransferTimeout);
  if (!run) return run.error();
  if (run->exit_code != 0) return failed_in_sandbox("Unpacking the workspace", run.value());
  return archive->size();
}

core::Result<FileManifest> manifest_in_sandbox(CommandRouter& router,
                                               const std::string& session_id) {
  // The repository is the agent's and this exec root's: git is told that is safe.
  constexpr const char* kListHeld =
      "i=$(mktemp) || exit 1; cp .git/index \"$i\" 2>/dev/null; "
      "GIT_INDEX_FILE=\"$i\" git -c safe.directory='*' add -A --force . >/dev/null 2>&1 && "
      "GIT_INDEX_FILE=\"$i\" git -c safe.directory='*' ls-files -s -z 2>/dev/null; c=$?; rm -f "
      "\"$i\"; "
      "exit $c";
  auto run = run_in_sandbox(
      router, exec_in_workspace(session_id, "list what the snapshot holds", kListHeld), "",
      kTransferTimeout);
  if (!run) return run.error();
  if (run->exit_code != 0) return failed_in_sandbox("Listing the snapshot's files", run.value());
  const std::string& listing = run->out;
  return manifest_from_listing(listing);
}

core::Result<std::uint64_t> upload_difference(CommandRouter& router, const std::string& session_id,
                                              const std::filesystem::path& working_copy,
                                              const FileManifest& base, const FileManifest& now) {
  const ManifestDifference changed = difference(base, now);
  std::uint64_t sent = 0;
  auto names_of = [](const std::vector<std::string>& paths) {
    std::string names;
    for (const std::string& path : paths) names.append("./" + path).push_back('\0');
    return names;
  };
  if (!changed.remove.empty()) {
    const std::string names = names_of(changed.remove);
    auto removed = run_in_sandbox(
        router, exec_in_workspace(session_id, "remove what the base has", kRemoveListed), names,
        kTransferTimeout);
    if (!removed) return removed.error();
    if (removed->exit_code != 0) return failed_in_sandbox("Removing files", removed.value());
    sent += names.size();
  }
  auto archive = run_here(
      {"tar", "czf", "-", "--null", "--no-recursion", "-C", working_copy.string(), "-T", "-"},
      names_of(changed.send), "Packing the workspace's difference");
  if (!archive) return archive.error();
  const std::string unpack = std::string(kForgetBaseRepository) + " && " + kUnpack;
  auto run = run_in_sandbox(router, exec_in_workspace(session_id, "upload", unpack.c_str()),
                            archive.value(), kTransferTimeout);
  if (!run) return run.error();
  if (run->exit_code != 0) return failed_in_sandbox("Unpacking the workspace", run.value());
  return sent + archive->size();
}

core::Result<core::Done> download_transcripts(CommandRouter& router, const std::string& session_id,
                                              const std::string& round,
                                              const std::filesystem::path& transcripts) {
  const std::string script = std::string(kTranscriptsHere) + kPackTranscripts;
  auto packed = run_in_sandbox(
      router, exec_in_workspace(session_id, "pack transcripts " + round, script.c_str()), "",
      kTransferTimeout);
  if (!packed) return packed.error();
  if (packed->exit_code != 0) return failed_in_sandbox("Packing the transcripts", packed.value());
  if (packed->out.empty()) return core::Done{};
  return unpack_from_sandbox(
      packed->out, transcripts,
      transcripts.parent_path() / (".parhelia-unpacking-" + std::to_string(::getpid())),
      "Unpacking the transcripts");
}

core::Result<core::Done> upload_transcripts(CommandRouter& router, const std::string& session_id,
                                            const std::filesystem::path& transcripts) {
  std::error_code ec;
  if (!std::filesystem::is_directory(transcripts, ec)) return core::Done{};
  auto archive =
      run_here({"tar", "czf", "-", "-C", transcripts.string(), "."}, "", "Packing the transcripts");
  if (!archive) return archive.error();
  const std::string script = std::string(kTranscriptsHere) + kUnpackTranscripts;
  auto run =
      run_in_sandbox(router, exec_in_workspace(session_id, "upload transcripts", script.c_str()),
                     archive.value(), kTransferTimeout);
  if (!run) return run.error();
  if (run->exit_code != 0) return failed_in_sandbox("Unpacking the transcripts", run.value());
  return core::Done{};
}

core::Result<std::uint64_t> download_changes(CommandRouter& router, const std::string& session_id,
                                             const std::string& round,
                                             const std::filesystem::path& working_copy) {
  auto listed =
      run_in_sandbox(router, exec_in_workspace(session_id, "list files " + round, kListFiles), "",
                     kTransferTimeout);
  if (!listed) return listed.error();
  if (listed->exit_code != 0) return failed_in_sandbox("Listing the workspace", listed.value());
  auto changed =
      run_in_sandbox(router, exec_in_workspace(session_id, "pack changes " + round, kPackChanged),
                     "", kTransferTimeout);
  if (!changed) return changed.error();
  if (changed->exit_code != 0) return failed_in_sandbox("Packing the changes", changed.value());

  std::set<std::filesystem::path> remote;
  const std::string& names = listed->out;
  for (std::size_t start = 0; start < names.size();) {
    const std::size_t end = std::min(names.find('\0', start), names.size());
    if (end > start)
      remote.insert(std::filesystem::path(names.substr(start, end - start)).lexically_normal());
    start = end + 1;
  }
  // What the work deleted goes here too.
  std::error_code ec;
  std::vector<std::filesystem::path> gone;
  for (auto it = std::filesystem::recursive_directory_iterator(working_copy, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it.depth() == 0 && it->path().filename() == ".git") {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_directory(ec) && !it->is_symlink(ec)) continue;
    const auto relative =
        ("." / std::filesystem::relative(it->path(), working_copy, ec)).lexically_normal();
    if (!remote.count(relative)) gone.push_back(it->path());
  }
  for (const auto& path : gone) std::filesystem::remove(path, ec);
  // Beside the working copy, in the session's folder: the same file system, so a move.
  if (auto unpacked = unpack_from_sandbox(
          changed->out, working_copy,
          working_copy.parent_path() / ("modal-unpacking-" + std::to_string(::getpid())),
          "Unpacking the changes");
      !unpacked)
    return unpacked.error();
  return static_cast<std::uint64_t>(listed->out.size() + changed->out.size());
}

}  // namespace parhelia::modal
