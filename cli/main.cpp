// parhelia: run Claude Code work remotely. `parhelia mcp` is the MCP server Claude Code starts;
// the other subcommands are the same operations for a terminal.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

#include "cli/commands.h"
#include "cli/logging.h"
#include "core/version.h"

namespace {

struct Subcommand {
  std::string_view name;
  void (*add)(CLI::App&, int&);
  std::string_view also = {};  // another subcommand the same function adds
  bool runs(std::string_view word) const { return word == name || (!also.empty() && word == also); }
};

constexpr Subcommand kSubcommands[] = {
    {"submit", parhelia::cli::add_submit_command},
    {"status", parhelia::cli::add_status_command},
    {"session", parhelia::cli::add_session_command},
    {"budget", parhelia::cli::add_budget_command},
    {"checkpoint", parhelia::cli::add_checkpoint_command},
    {"attach", parhelia::cli::add_attach_command},
    {"mcp", parhelia::cli::add_mcp_command},
    {"__supervise", parhelia::cli::add_supervise_command, "__checkpoint"},
    {"doctor", parhelia::cli::add_doctor_command},
    {"skills", parhelia::cli::add_skills_command},
};

// A word where a command must come that names none of them. CLI11 would keep it as an extra
// argument and complain only after the options, so `parhelia teleport --help` printed the
// help of `parhelia` and exited 0, as if teleport were a command. The sentence names the
// commands that exist there (the hidden ones aside).
std::optional<std::string> unknown_command(const CLI::App& app, int argc, char** argv) {
  const CLI::App* command = &app;
  std::string path = "parhelia";
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word.empty() || word.front() == '-') return std::nullopt;
    const auto subcommands =
        command->get_subcommands([](const CLI::App* s) { return !s->get_name().empty(); });
    const auto known = std::find_if(subcommands.begin(), subcommands.end(),
                                    [&word](const CLI::App* s) { return s->check_name(word); });
    if (known != subcommands.end()) {
      command = *known;
      path += " " + word;
      continue;
    }
    // Where no command is needed, the word is an argument of the command named so far.
    if (subcommands.empty() || command->get_require_subcommand_min() == 0) return std::nullopt;
    std::string names;
    for (const CLI::App* s : subcommands) {
      if (s->get_group().empty()) continue;
      names += (names.empty() ? "" : ", ") + s->get_name();
    }
    return path + ": unknown command '" + word + "'; the commands are " + names + " (`" + path +
           " --help` says what each does).";
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  // Nothing but the answer before the answer: scripts and installers ask for the version, and
  // Claude Code waits for `parhelia mcp` to answer initialize.
  if (argc == 2 && std::string_view(argv[1]) == "--version") {
    std::fputs(parhelia::core::kVersion, stdout);
    std::fputc('\n', stdout);
    return parhelia::cli::kExitOk;
  }
  // A peer that goes away must surface as EPIPE on write, never kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  parhelia::cli::configure_logging({});

  CLI::App app{
      "Parhelia runs Claude Code tasks and commands in remote containers or sandboxed on this "
      "machine.",
      "parhelia"};
  app.set_version_flag("--version", parhelia::core::kVersion);
  app.require_subcommand(1);
  int exit_code = parhelia::cli::kExitOk;
  // Only the subcommand named is built (each adds tens of options); help, a mistake or no
  // subcommand at all gets every one.
  const auto named = std::find_if(std::begin(kSubcommands), std::end(kSubcommands),
                                  [&](const Subcommand& s) { return argc > 1 && s.runs(argv[1]); });
  if (named != std::end(kSubcommands)) {
    named->add(app, exit_code);
  } else {
    for (const auto& subcommand : kSubcommands) subcommand.add(app, exit_code);
  }

  if (const auto unknown = unknown_command(app, argc, argv)) {
    std::fprintf(stderr, "%s\n", unknown->c_str());
    return parhelia::cli::kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? parhelia::cli::kExitOk : parhelia::cli::kExitUsage;
  }
  return exit_code;
}
