#include "core/local/process_tree.h"

#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>

namespace parhelia::core {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kSettle = std::chrono::milliseconds(300);

struct ProcessEntry {
  pid_t parent = 0;
  char state = '?';
};

// Every process now, by pid, from /proc/<pid>/stat: "pid (comm) state ppid ...", where comm
// may itself hold spaces and parentheses, so the fields are read after the last ')'.
std::map<pid_t, ProcessEntry> process_table() {
  std::map<pid_t, ProcessEntry> table;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return table;
  while (const dirent* entry = ::readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(entry->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    std::ifstream stat("/proc/" + std::string(entry->d_name) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) continue;  // gone since the directory was read
    const auto close = line.rfind(')');
    if (close == std::string::npos || close + 4 > line.size()) continue;
    ProcessEntry process;
    process.state = line[close + 2];
    process.parent = static_cast<pid_t>(std::strtol(line.c_str() + close + 4, nullptr, 10));
    table[static_cast<pid_t>(pid)] = process;
  }
  ::closedir(proc);
  return table;
}

// The descendants of `ancestor` in `table`, leaving out `keep` and everything below them.
std::vector<pid_t> descendants_in(const std::map<pid_t, ProcessEntry>& table, pid_t ancestor,
                                  const std::vector<pid_t>& keep) {
  std::multimap<pid_t, pid_t> children;
  for (const auto& [pid, process] : table) children.emplace(process.parent, pid);
  std::vector<pid_t> found;
  std::vector<pid_t> frontier = {ancestor};
  std::set<pid_t> seen = {ancestor};
  while (!frontier.empty()) {
    const pid_t parent = frontier.back();
    frontier.pop_back();
    for (auto [it, end] = children.equal_range(parent); it != end; ++it) {
      const pid_t child = it->second;
      if (std::find(keep.begin(), keep.end(), child) != keep.end()) continue;
      if (!seen.insert(child).second) continue;
      found.push_back(child);
      frontier.push_back(child);
    }
  }
  return found;
}

void reap_in(const std::map<pid_t, ProcessEntry>& table, const std::vector<pid_t>& keep) {
  const pid_t self = ::getpid();
  for (const auto& [pid, process] : table) {
    if (process.parent != self || process.state != 'Z') continue;
    if (std::find(keep.begin(), keep.end(), pid) != keep.end()) continue;
    int status = 0;
    ::waitpid(pid, &status, WNOHANG);
  }
}

}  // namespace

bool become_subreaper() {
  return ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;
}

std::vector<pid_t> descendants_of(pid_t ancestor) {
  return descendants_in(process_table(), ancestor, {});
}

void reap_exited_children(const std::vector<pid_t>& keep) {
  reap_in(process_table(), keep);
}

std::size_t end_descendants(std::chrono::milliseconds grace, std::chrono::milliseconds give_up,
                            const std::vector<pid_t>& keep) {
  const pid_t self = ::getpid();
  const auto started = Clock::now();
  std::set<pid_t> ended;
  bool terminated = false;
  for (;;) {
    auto table = process_table();
    reap_in(table, keep);
    std::vector<pid_t> live;
    for (pid_t pid : descendants_in(table, self, keep)) {
      // A zombie our own waitpid just took is gone; one below a live descendant waits for
      // that parent, which is ended here too, and then comes to us.
      if (table[pid].state != 'Z' || table[pid].parent != self) live.push_back(pid);
    }
    if (live.empty()) break;
    const auto waited = Clock::now() - started;
    if (waited >= give_up) break;
    // A process already on its way out (the sandbox's own init, say, reparented here as its
    // parent ended first) is given a moment to finish by itself: it is not a leftover.
    if (!terminated && waited < kSettle) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    const bool kill_now = terminated && waited >= grace;
    for (pid_t pid : live) {
      if (table[pid].state == 'Z') continue;
      ended.insert(pid);
      if (kill_now) {
        ::kill(pid, SIGKILL);
      } else if (!terminated) {
        ::kill(pid, SIGTERM);
        ::kill(pid, SIGCONT);  // a stopped process acts on SIGTERM only once it runs
      }
    }
    terminated = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return ended.size();
}

}  // namespace parhelia::core
