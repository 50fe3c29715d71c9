// `parhelia submit`: dispatch a task or a command as a session.
#include <unistd.h>

#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/resource_options.h"
#include "cli/session_output.h"
#include "cli/terminal_text.h"
#include "core/local/host_probe.h"
#include "core/views/cost_view.h"

namespace parhelia::cli {
namespace {

struct SubmitOptions {
  std::string task;
  std::string command;
  ResourceOptions resources;
  std::string name;
  std::string workspace;
  bool sync = false;
  bool dry_run = false;
  bool no_sandbox = false;
  std::string network;
  bool json = false;
  bool yes = false;
  std::string checkpoint_every;
  std::string keep_alive;
};

int run_submit(const SubmitOptions& o) {
  core::SubmitRequest request;
  if (auto wrong = o.resources.apply(request)) {
    print_error(*wrong);
    return kExitUsage;
  }
  auto service = open_sessions();
  if (!service) return kExitFailed;
  if (!o.task.empty()) request.task = o.task;
  if (!o.command.empty()) request.command = o.command;
  request.name = o.name;
  request.workspace = o.workspace;
  request.no_sandbox = o.no_sandbox;
  if (!o.network.empty()) request.network = o.network == "open";
  if (!o.checkpoint_every.empty()) {
    const auto every = o.checkpoint_every == "0" ? std::optional<std::int64_t>(0)
                                                 : parse_duration(o.checkpoint_every);
    if (!every) {
      print_error("--checkpoint-every " + o.checkpoint_every +
                  " is not a duration; use e.g. 10m, 30m, or 0 for none.");
      return kExitUsage;
    }
    request.checkpoint_every_s = *every;
  }
  if (!o.keep_alive.empty()) {
    const auto kept =
        o.keep_alive == "0" ? std::optional<std::int64_t>(0) : parse_duration(o.keep_alive);
    if (!kept) {
      print_error("--keep-alive " + o.keep_alive + " is not a duration; use e.g. 10m or 1h.");
      return kExitUsage;
    }
    request.keep_alive_s = *kept;
  }

  if (o.dry_run) {
    auto plan = service->plan(request);
    if (!plan) return report(plan.error());
    if (o.json) {
      print_json({{"dry_run", true},
                  {"would_run", plan->argv},
                  {"workspace", plan->session.workspace},
                  {"cuda_visible_devices", plan->cuda_visible_devices},
                  {"estimate", schema::encode(views::estimate_view(plan->estimate))}});
    } else {
      std::cout << "Dry run, nothing started. It would run in a copy of "
                << terminal_line(plan->session.workspace) << ":\n ";
      for (const auto& arg : plan->argv) std::cout << " " << terminal_line(arg);
      std::cout << "\n" << views::estimate_sentence(plan->estimate) << "\n";
    }
    return kExitOk;
  }
  if (!cost_confirmed(*service, request, o.yes)) return kExitFailed;
  // The image's build log, when there is one to build, as progress lines.
  auto session = service->submit(
      request, [](const std::string& line) { std::cerr << "parhelia: " << line << "\n"; });
  if (!session) return report(session.error());
  if (!o.sync) {
    if (o.json) {
      print_session(*service, session.value(), true);
    } else {
      std::cout << "Submitted " << session->id << " (" << core::to_string(session->state) << "). "
                << "Cost: " << views::estimate_sentence(service->estimate(request).value_or({}))
                << "\n"
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
  o->resources.add_to(*command, ResourceOptions::Use::submit);
  command->add_option("--name", o->name, "A short name for the session");
  command->add_option("--workspace", o->workspace,
                      "The project directory to copy (default: the current one)");
  command->add_flag("--sync", o->sync,
                    "Wait for the end, showing the log; exit 0 only if it succeeded");
  command->add_flag("--dry-run", o->dry_run, "Validate and show what would run, starting nothing");
  command->add_flag("--no-sandbox", o->no_sandbox, "Run without bubblewrap (where it cannot run)");
  command
      ->add_option("--network", o->network,
                   "open (the default; Claude Code needs its API) or none: no network at all")
      ->check(CLI::IsMember({"open", "none"}));
  command->add_option("--checkpoint-every", o->checkpoint_every,
                      "Take a checkpoint this often while it runs (default 10m; 0 for none)");
  command->add_option("--keep-alive", o->keep_alive,
                      "On Modal: keep the sandbox and its terminal this long after the work "
                      "ends, to look around (attach), then checkpoint and end it; charged like "
                      "the rest (e.g. 10m)");
  command->add_flag("--json", o->json, "Print JSON");
  command->add_flag("--yes,-y", o->yes,
                    "Agree to the estimated cost without being asked (needed above the "
                    "confirmation amount when not at a terminal)");
  command->callback([o, &exit_code] { exit_code = run_submit(*o); });
}

}  // namespace parhelia::cli
