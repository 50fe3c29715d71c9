// `parhelia submit`: dispatch a task or a command as a session.
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/session_output.h"
#include "core/host_probe.h"

namespace parhelia::cli {
namespace {

struct SubmitOptions {
  std::string task;
  std::string command;
  std::string gpu;
  std::string timeout = "1h";
  std::string name;
  std::string workspace;
  bool sync = false;
  bool dry_run = false;
  bool no_sandbox = false;
  bool json = false;
};

// "90", "90s", "30m", "2h" -> seconds; nothing when unreadable.
std::optional<std::int64_t> parse_duration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  std::size_t used = 0;
  long long value = 0;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  const std::string unit = text.substr(used);
  const long long scale = unit.empty() || unit == "s" ? 1
                          : unit == "m"               ? 60
                          : unit == "h"               ? 3600
                                                      : 0;
  if (scale == 0 || value <= 0) return std::nullopt;
  return value * scale;
}

int run_submit(const SubmitOptions& o) {
  const auto timeout = parse_duration(o.timeout);
  if (!timeout) {
    print_error("--timeout " + o.timeout +
                " is not a duration; use seconds or a unit, e.g. 90s, 30m, 2h.");
    return kExitUsage;
  }
  auto service = open_sessions();
  if (!service) return kExitFailed;
  core::SubmitRequest request;
  if (!o.task.empty()) request.task = o.task;
  if (!o.command.empty()) request.command = o.command;
  request.gpu = o.gpu;
  request.timeout_s = *timeout;
  request.name = o.name;
  request.workspace = o.workspace;
  request.no_sandbox = o.no_sandbox;

  if (o.dry_run) {
    auto plan = service->plan(request);
    if (!plan) return report(plan.error());
    if (o.json) {
      print_json({{"dry_run", true},
                  {"would_run", plan->argv},
                  {"workspace", plan->session.workspace},
                  {"cuda_visible_devices", plan->cuda_visible_devices}});
    } else {
      std::cout << "Dry run, nothing started. It would run in a copy of " << plan->session.workspace
                << ":\n ";
      for (const auto& arg : plan->argv) std::cout << " " << arg;
      std::cout << "\n";
    }
    return kExitOk;
  }
  auto session = service->submit(request);
  if (!session) return report(session.error());
  if (!o.sync) {
    if (o.json) {
      print_session(*service, session.value(), true);
    } else {
      std::cout << "Submitted " << session->id << " (" << core::to_string(session->state) << ").\n"
                << "Follow it: parhelia session logs " << session->id << " -f\n";
    }
    return kExitOk;
  }
  if (!o.json) std::cout << "Submitted " << session->id << "; following its log.\n";
  // With --json the log would spoil the one JSON document: wait quietly instead.
  auto final_state =
      o.json ? service->wait_for_end(session->id, [](const core::Session&) { return true; })
             : follow_log(*service, session->id, 0);
  if (!final_state) return report(final_state.error());
  if (!o.json) std::cout << "\n";
  print_session(*service, final_state.value(), o.json);
  return final_state->state == core::SessionState::succeeded ? kExitOk : kExitFailed;
}

}  // namespace

void add_submit_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand(
      "submit", "Dispatch a task (a prompt for Claude Code) or a command as a session");
  auto o = std::make_shared<SubmitOptions>();
  command->add_option("task", o->task, "The prompt for Claude Code");
  command->add_option("--cmd", o->command, "Run this shell command instead of a Claude Code task");
  command->add_option("--gpu", o->gpu, "GPU as TYPE, TYPE:COUNT or COUNT (e.g. A10G, H100:2)");
  command->add_option("--timeout", o->timeout, "Time limit: seconds or 90s, 30m, 2h (default 1h)");
  command->add_option("--name", o->name, "A short name for the session");
  command->add_option("--workspace", o->workspace,
                      "The project directory to copy (default: the current one)");
  command->add_flag("--sync", o->sync,
                    "Wait for the end, showing the log; exit 0 only if it succeeded");
  command->add_flag("--dry-run", o->dry_run, "Validate and show what would run, starting nothing");
  command->add_flag("--no-sandbox", o->no_sandbox, "Run without bubblewrap (where it cannot run)");
  command->add_flag("--json", o->json, "Print JSON");
  command->callback([o, &exit_code] { exit_code = run_submit(*o); });
}

}  // namespace parhelia::cli
