#include "core/local/sandbox.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "core/base/environment.h"

namespace parhelia::core {
namespace {

namespace fs = std::filesystem;

// Shown to every sandbox, read-only: the system's programs, libraries and settings.
const std::vector<std::string>& system_trees() {
  static const std::vector<std::string> trees = {"/usr", "/etc", "/opt"};
  return trees;
}
// Top-level names that merged-/usr systems keep as links into /usr (or older ones as trees).
const std::vector<std::string>& system_links() {
  static const std::vector<std::string> links = {"/bin",   "/sbin",  "/lib",
                                                 "/lib32", "/lib64", "/libx32"};
  return links;
}

bool is_within(const fs::path& path, const fs::path& tree) {
  const auto rel = path.lexically_normal().lexically_relative(tree);
  return !rel.empty() && *rel.begin() != "..";
}

bool shown_anyway(const fs::path& path) {
  for (const auto& tree : system_trees())
    if (is_within(path, tree)) return true;
  for (const auto& link : system_links())
    if (is_within(path, link)) return true;
  return false;
}

// bubblewrap's arguments, built in mount order.
class Layout {
 public:
  void add(std::initializer_list<std::string> words) { args_.insert(args_.end(), words); }
  // Every folder above `path` that the sandbox does not show anyway, made traversable (bwrap
  // would otherwise make them 0700, closed to the unprivileged user the work runs as).
  void parents_of(const fs::path& path) {
    std::vector<fs::path> chain;
    for (fs::path p = path.parent_path(); p != p.root_path() && !p.empty(); p = p.parent_path())
      chain.push_back(p);
    std::reverse(chain.begin(), chain.end());
    for (const auto& dir : chain) {
      if (shown_anyway(dir) || !made_.insert(dir.string()).second) continue;
      add({"--perms", "0755", "--dir", dir.string()});
    }
  }
  void bind(const char* how, const fs::path& path) { bind_at(how, path, path); }
  void bind_at(const char* how, const fs::path& source, const fs::path& seen_at) {
    parents_of(seen_at);
    add({how, source.string(), seen_at.string()});
    made_.insert(seen_at.string());
  }
  std::vector<std::string>& args() { return args_; }

 private:
  std::vector<std::string> args_;
  std::set<std::string> made_;
};

void lay_out_system(Layout& layout) {
  std::error_code ec;
  for (const auto& tree : system_trees()) {
    if (fs::is_directory(tree, ec)) layout.add({"--ro-bind", tree, tree});
  }
  for (const auto& link : system_links()) {
    const auto status = fs::symlink_status(link, ec);
    if (fs::is_symlink(status)) {
      layout.add({"--symlink", fs::read_symlink(link, ec).string(), link});
    } else if (fs::is_directory(status)) {
      layout.add({"--ro-bind", link, link});
    }
  }
}

// /etc/resolv.conf is often a link into /run (systemd-resolved, NetworkManager): the one file
// of /run a session needs to resolve names.
void lay_out_name_resolution(Layout& layout) {
  std::error_code ec;
  const fs::path resolv = "/etc/resolv.conf";
  if (!fs::is_symlink(fs::symlink_status(resolv, ec))) return;
  const fs::path target = fs::canonical(resolv, ec);
  if (ec || shown_anyway(target) || !fs::is_regular_file(target, ec)) return;
  layout.bind("--ro-bind", target);
}

void lay_out_gpus(Layout& layout) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/dev", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("nvidia", 0) == 0 && !entry.is_directory(ec))
      layout.add({"--dev-bind", entry.path().string(), entry.path().string()});
  }
}

std::string trimmed(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t\r");
  const auto end = text.find_last_not_of(" \t\r");
  return begin == std::string::npos ? std::string() : text.substr(begin, end - begin + 1);
}

// What a script's `#!` line starts, as the kernel reads it (the interpreter, then the rest of
// the line as one argument), with `env NAME` and `env -S NAME ARGS` resolved on this
// process's PATH, which is the session's: the interpreter the user's own shell would run.
// Empty when the file is not a script, or names an interpreter that is not there.
std::vector<std::string> interpreter_of(const fs::path& script) {
  std::ifstream in(script, std::ios::binary);
  std::string line;
  if (!std::getline(in, line) || line.rfind("#!", 0) != 0) return {};
  line = trimmed(line.substr(2));
  const auto space = line.find_first_of(" \t");
  const std::string program = line.substr(0, space);
  const std::string argument = space == std::string::npos ? "" : trimmed(line.substr(space));
  if (program.empty()) return {};
  if (fs::path(program).filename() != "env" || argument.empty()) {
    std::vector<std::string> argv = {program};
    if (!argument.empty()) argv.push_back(argument);
    return argv;
  }
  std::vector<std::string> words;
  std::istringstream split(argument);
  for (std::string word; split >> word;) words.push_back(word);
  if (words.front() == "-S") {
    words.erase(words.begin());
  } else {
    words.resize(1);  // `env NAME`: the kernel passes anything after NAME within it
  }
  if (words.empty() || words.front().starts_with("-")) return {};
  auto found = find_executable(words.front());
  if (!found) return {};
  words.front() = found->string();
  return words;
}

}  // namespace

SandboxLimits sandbox_limits(const Session& session) {
  SandboxLimits limits;
  if (session.memory_milli_gib > 0)
    limits.memory_bytes =
        static_cast<std::uint64_t>(session.memory_milli_gib) * (1ULL << 30) / 1000;
  // Processes: 256 per core asked for (at least 64), 1024 when no cores were asked for.
  limits.processes =
      session.cpu_milli > 0
          ? std::max<std::uint64_t>(64, static_cast<std::uint64_t>(session.cpu_milli) * 256 / 1000)
          : 1024;
  return limits;
}

std::string SandboxLimits::summary() const {
  std::string text = "processes: at most " + std::to_string(processes) + " (rlimit)";
  if (memory_bytes) {
    text += "; memory: at most " + std::to_string(*memory_bytes >> 20) + " MiB of data (rlimit)";
  } else {
    text += "; memory: not limited (none asked for)";
  }
  return text + "; cpu: priced, not enforced";
}

Installation installation_of(const fs::path& program) {
  Installation installation;
  std::vector<fs::path>& dirs = installation.dirs;
  std::error_code ec;
  const fs::path real = fs::canonical(program, ec);
  if (ec) {
    installation.argv = {program.string()};
    return installation;
  }
  const auto add = [&](const fs::path& file) {
    // An npm package needs its dependencies beside it: everything under the outermost
    // node_modules folder on its path.
    fs::path dir = file.parent_path();
    fs::path walked;
    for (const auto& part : file.parent_path()) {
      walked /= part;
      if (part == "node_modules") {
        dir = walked;
        break;
      }
    }
    if (!shown_anyway(dir) && std::find(dirs.begin(), dirs.end(), dir) == dirs.end())
      dirs.push_back(dir);
  };
  add(real);
  auto interpreter = interpreter_of(real);
  const fs::path real_interpreter =
      interpreter.empty() ? fs::path() : fs::canonical(interpreter.front(), ec);
  if (interpreter.empty() || ec) {
    installation.argv = {real.string()};
    return installation;
  }
  // The interpreter is started by its real file, as the script's line would have found it
  // here: inside, `env` would search a PATH whose folders the sandbox may not show, and might
  // find another one (a system node where the user's is under ~/.nvm or /tmp).
  add(real_interpreter);
  interpreter.front() = real_interpreter.string();
  installation.argv = std::move(interpreter);
  installation.argv.push_back(real.string());
  return installation;
}

Result<std::vector<std::string>> sandboxed_argv(const std::vector<std::string>& argv,
                                                const SandboxSpec& spec) {
  const SessionFiles& files = *spec.files;
  const bool as_root = ::geteuid() == 0;
  auto prlimit = find_executable("prlimit");
  auto setpriv = find_executable("setpriv");
  if (!prlimit || (as_root && !setpriv)) {
    return Error{ErrorCode::unavailable,
                 "The sandbox needs util-linux's prlimit and setpriv, which are not on PATH.",
                 "Install util-linux (`apt-get install util-linux`), or run with --no-sandbox."};
  }

  Layout layout;
  layout.add({"bwrap", "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
              "--unshare-cgroup-try"});
  if (!spec.network) layout.add({"--unshare-net"});
  if (as_root) {
    // Only what handing over to the unprivileged user takes; setpriv drops these too.
    layout.add({"--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
                "--cap-add", "CAP_SETPCAP"});
  } else {
    layout.add({"--unshare-user", "--disable-userns", "--cap-drop", "ALL"});
  }
  lay_out_system(layout);
  lay_out_name_resolution(layout);
  layout.add({"--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp"});
  if (spec.gpu) lay_out_gpus(layout);
  // The session's two folders, writable, where every session sees them; what follows is shown
  // on top of them should it lie below those paths on this machine.
  const WorkPaths seen = work_paths(files, true);
  layout.bind_at("--bind", files.workspace, seen.workspace);
  layout.bind_at("--bind", files.home, seen.home);
  for (const auto& dir : spec.programs) layout.bind("--ro-bind", dir);
  for (const auto& path : spec.read_only_paths) {
    layout.parents_of(path);
    layout.add({"--ro-bind-try", path.string(), path.string()});
  }
  // Parhelia's state stays out of sight even where a tree above shows it (PARHELIA_HOME under
  // /opt, say). Below the session's own paths nothing of this machine's is shown anyway.
  if (!spec.parhelia_home.empty() && !is_within(spec.parhelia_home, seen.workspace) &&
      !is_within(spec.parhelia_home, seen.home)) {
    layout.parents_of(spec.parhelia_home);
    layout.add({"--perms", "0755", "--tmpfs", spec.parhelia_home.string()});
  }
  layout.add({"--chdir", seen.workspace.string(), "--"});

  auto& args = layout.args();
  if (as_root) {
    const std::string uid = std::to_string(kSandboxUserAsRoot);
    args.insert(
        args.end(),
        {setpriv->string(), "--reuid", uid, "--regid", uid, "--clear-groups", "--inh-caps=-all",
         "--bounding-set=-all", "--no-new-privs", "--",
         // As nobody, a user namespace of its own: root inside, nobody outside, and
         // the process limit counts this session's processes alone.
         // The layout above comes along whole (its /proc and /dev too: a user namespace
         // may not mount a new /proc over one that bwrap has partly covered), bound with
         // its devices so that /dev/null and the GPUs stay usable.
         "bwrap", "--unshare-user", "--disable-userns", "--uid", "0", "--gid", "0",
         "--die-with-parent", "--dev-bind", "/", "/", "--chdir", seen.workspace.string(), "--"});
  }
  args.insert(args.end(), {prlimit->string(), "--nproc=" + std::to_string(spec.limits.processes)});
  if (spec.limits.memory_bytes)
    args.push_back("--data=" + std::to_string(*spec.limits.memory_bytes));
  args.push_back("--");
  args.insert(args.end(), argv.begin(), argv.end());
  return args;
}

Result<Done> hand_files_to_sandbox(const SessionFiles& files) {
  if (::geteuid() != 0) return Done{};
  for (const auto& top : {files.workspace, files.home}) {
    std::error_code ec;
    if (::lchown(top.c_str(), kSandboxUserAsRoot, kSandboxUserAsRoot) != 0) {
      return Error{ErrorCode::io_failure, "cannot hand " + top.string() + " to the sandbox", ""};
    }
    // The iterator does not follow links to folders; lchown does not follow links either.
    for (fs::recursive_directory_iterator it(top, ec), end; !ec && it != end; it.increment(ec)) {
      (void)::lchown(it->path().c_str(), kSandboxUserAsRoot, kSandboxUserAsRoot);
    }
    if (ec) {
      return Error{ErrorCode::io_failure,
                   "cannot hand " + top.string() + " to the sandbox: " + ec.message(), ""};
    }
  }
  return Done{};
}

}  // namespace parhelia::core
