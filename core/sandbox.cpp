#include "core/sandbox.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "core/config_file.h"
#include "core/environment.h"

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
  void bind(const char* how, const fs::path& path) {
    parents_of(path);
    add({how, path.string(), path.string()});
    made_.insert(path.string());
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

std::string interpreter_of(const fs::path& script) {
  std::ifstream in(script, std::ios::binary);
  std::string line;
  if (!std::getline(in, line) || line.rfind("#!", 0) != 0) return "";
  std::istringstream words(line.substr(2));
  std::string program, argument;
  words >> program >> argument;
  if (fs::path(program).filename() == "env" && !argument.empty() && argument[0] != '-') {
    if (auto found = find_executable(argument)) return found->string();
    return "";
  }
  return program;
}

}  // namespace

Result<SandboxSettings> SandboxSettings::load(const fs::path& home) {
  SandboxSettings settings;
  auto section = config_section(home, "sandbox");
  if (!section) return section.error();
  if (!section.value()) return settings;
  const auto bad = [&](const std::string& what) {
    return config_error(home, "sandbox",
                        what +
                            " (read_only_paths: absolute paths; environment: variable "
                            "names; network: true or false).");
  };
  for (const auto& [key, value] : section.value()->items()) {
    if (key == "network" && value.is_boolean()) {
      settings.network = value.get<bool>();
    } else if (key == "read_only_paths" && value.is_array()) {
      for (const auto& path : value) {
        if (!path.is_string() || !fs::path(path.get<std::string>()).is_absolute())
          return bad("sandbox.read_only_paths holds something that is not an absolute path");
        settings.read_only_paths.emplace_back(path.get<std::string>());
      }
    } else if (key == "environment" && value.is_array()) {
      for (const auto& name : value) {
        if (!name.is_string() || name.get<std::string>().empty() ||
            name.get<std::string>().find('=') != std::string::npos)
          return bad("sandbox.environment holds something that is not a variable name");
        settings.environment.push_back(name.get<std::string>());
      }
    } else {
      return bad("sandbox." + key + " is not a setting");
    }
  }
  return settings;
}

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

std::vector<fs::path> installation_of(const fs::path& program) {
  std::vector<fs::path> dirs;
  std::error_code ec;
  const fs::path real = fs::canonical(program, ec);
  if (ec) return dirs;
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
  if (const auto interpreter = interpreter_of(real); !interpreter.empty()) {
    const fs::path real_interpreter = fs::canonical(interpreter, ec);
    if (!ec) add(real_interpreter);
  }
  return dirs;
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
  for (const auto& dir : spec.programs) layout.bind("--ro-bind", dir);
  for (const auto& path : spec.read_only_paths) {
    layout.parents_of(path);
    layout.add({"--ro-bind-try", path.string(), path.string()});
  }
  // Parhelia's state stays out of sight even where a tree above shows it (PARHELIA_HOME under
  // /opt, say); then only this session's two folders are put back, writable.
  if (!spec.parhelia_home.empty()) {
    layout.parents_of(spec.parhelia_home);
    layout.add({"--perms", "0755", "--tmpfs", spec.parhelia_home.string()});
  }
  layout.bind("--bind", files.workspace);
  layout.bind("--bind", files.home);
  layout.add({"--chdir", files.workspace.string(), "--"});

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
         "--die-with-parent", "--dev-bind", "/", "/", "--chdir", files.workspace.string(), "--"});
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
