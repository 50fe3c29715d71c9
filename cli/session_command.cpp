// `parhelia session list|show|logs|stop|results|apply|resume` (and screen|send, in
// session_terminal_command.cpp).
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/resume.h"
#include "cli/session_output.h"
#include "cli/terminal_text.h"
#include "core/views/session_view.h"

namespace parhelia::cli {
namespace {

struct SessionOptions {
  std::string id;
  std::string state;
  int limit = 20;
  int tail = 50;
  long long offset = -1;
  bool follow = false;
  int grace = 10;
  bool patch = false;
  bool json = false;
};

int list(const SessionOptions& o) {
  auto service = open_sessions();
  if (!service) return kExitFailed;
  core::SessionQuery query;
  query.limit = static_cast<std::size_t>(std::clamp(o.limit, 1, 1000));
  if (!o.state.empty()) {
    query.state = core::parse_session_state(o.state);
    if (!query.state) {
      print_error("--state " + o.state +
                  " is not a state; use queued, provisioning, running, succeeded, failed, "
                  "cancelled, timed_out, over_budget or lost.");
      return kExitUsage;
    }
  }
  auto sessions = service->list(query);
  if (!sessions) return report(sessions.error());
  if (o.json) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& s : sessions.value())
      items.push_back(schema::encode(views::view_of(s, *service)));
    print_json(items);
  } else if (sessions->empty()) {
    std::cout << "No sessions yet. Start one with: parhelia submit --cmd \"make test\"\n";
  } else {
    for (const auto& s : sessions.value()) print_session_line(s);
  }
  return kExitOk;
}

int show(const SessionOptions& o) {
  auto service = open_sessions();
  if (!service) return kExitFailed;
  auto session = service->get(o.id);
  if (!session) return report(session.error());
  print_session(*service, session.value(), o.json);
  return kExitOk;
}

int logs(const SessionOptions& o) {
  auto service = open_sessions();
  if (!service) return kExitFailed;
  auto chunk =
      o.offset >= 0
          ? service->log_from(o.id, static_cast<std::uint64_t>(o.offset), 1 << 20)
          : service->log_tail(o.id, static_cast<std::size_t>(std::max(o.tail, 1)), 1 << 20);
  if (!chunk) return report(chunk.error());
  if (o.json) {
    print_json({{"session_id", o.id},
                {"text", chunk->text},
                {"offset", chunk->offset},
                {"next_offset", chunk->next_offset},
                {"size", chunk->size}});
    return kExitOk;
  }
  // The log is the work's own terminal output, shown as the work wrote it (colours and
  // all), as `tmux attach` would; what Parhelia says about a session goes through
  // terminal_text.
  std::cout << chunk->text << std::flush;
  if (!o.follow) return kExitOk;
  auto session = follow_log(*service, o.id, chunk->next_offset);
  if (!session) return report(session.error());
  std::cout << "\n[" << o.id << " " << core::to_string(session->state)
            << (session->exit_code ? ", exit code " + std::to_string(*session->exit_code) : "")
            << "]\n";
  return kExitOk;
}

int stop(const SessionOptions& o) {
  auto service = open_sessions();
  if (!service) return kExitFailed;
  auto session = service->stop(o.id, o.grace);
  if (!session) return report(session.error());
  if (o.json) {
    print_session(*service, session.value(), true);
  } else {
    std::cout << "Stopping " << o.id << " (SIGTERM now, SIGKILL after " << o.grace << " s).\n";
  }
  return kExitOk;
}

int results(const SessionOptions& o) {
  auto service = open_sessions();
  if (!service) return kExitFailed;
  auto results = service->results(o.id);
  if (!results) return report(results.error());
  std::ifstream patch_file(results->patch_file, std::ios::binary);
  const std::string patch((std::istreambuf_iterator<char>(patch_file)),
                          std::istreambuf_iterator<char>());
  if (o.patch) {
    std::cout << patch;
    return kExitOk;
  }
  if (o.json) {
    print_json({{"session", schema::encode(views::view_of(results->session, *service))},
                {"finished", results->finished},
                {"patch_bytes", results->patch_bytes},
                {"patch", patch}});
    return kExitOk;
  }
  print_session(*service, results->session, false);
  if (!results->finished) std::cout << "It is still running; the patch comes when it ends.\n";
  // --patch gives the patch byte for byte (for `git apply`); shown to a person, it is text.
  if (!patch.empty()) std::cout << "\n" << terminal_block(patch, "");
  return kExitOk;
}

int apply(const SessionOptions& o) {
  auto service = open_sessions();
  if (!service) return kExitFailed;
  auto applied = service->apply(o.id);
  if (!applied) return report(applied.error());
  auto session = service->get(o.id);
  if (o.json) {
    print_json({{"session_id", o.id},
                {"applied", true},
                {"workspace", session ? session->workspace : ""}});
  } else {
    std::cout << "Applied " << o.id << "'s changes to "
              << (session ? terminal_line(session->workspace) : "the workspace") << ".\n";
  }
  return kExitOk;
}

}  // namespace

void add_session_command(CLI::App& app, int& exit_code) {
  auto* session =
      app.add_subcommand("session",
                         "List sessions, read logs and screens, type into them, stop them, take "
                         "their results");
  session->require_subcommand(1);
  auto o = std::make_shared<SessionOptions>();
  const auto with_id = [&](CLI::App* command) {
    command->add_option("session_id", o->id, "The session")->required();
  };
  const auto with_json = [&](CLI::App* command) {
    command->add_flag("--json", o->json, "Print JSON");
  };

  auto* list_command = session->add_subcommand("list", "Sessions, newest first");
  list_command->add_option("--state", o->state, "Only sessions in this state");
  list_command->add_option("--limit", o->limit, "How many (default 20)");
  with_json(list_command);
  list_command->callback([o, &exit_code] { exit_code = list(*o); });

  auto* show_command = session->add_subcommand("show", "One session in full");
  with_id(show_command);
  with_json(show_command);
  show_command->callback([o, &exit_code] { exit_code = show(*o); });

  auto* logs_command =
      session->add_subcommand("logs", "A session's log (the last lines, or -f to follow it)");
  with_id(logs_command);
  logs_command->add_option("--tail", o->tail, "The last N lines (default 50)");
  logs_command->add_option("--offset", o->offset, "From this byte instead");
  logs_command->add_flag("-f,--follow", o->follow, "Keep printing until the session ends");
  with_json(logs_command);
  logs_command->callback([o, &exit_code] { exit_code = logs(*o); });

  auto* stop_command =
      session->add_subcommand("stop", "Stop a session (SIGTERM, then SIGKILL after the grace)");
  with_id(stop_command);
  stop_command->add_option("--grace", o->grace, "Seconds between SIGTERM and SIGKILL (default 10)");
  with_json(stop_command);
  stop_command->callback([o, &exit_code] { exit_code = stop(*o); });

  auto* results_command =
      session->add_subcommand("results", "Final answer, exit code, changed files and patch");
  with_id(results_command);
  results_command->add_flag("--patch", o->patch, "Print only the patch");
  with_json(results_command);
  results_command->callback([o, &exit_code] { exit_code = results(*o); });

  auto* apply_command =
      session->add_subcommand("apply", "Apply a finished session's patch to its workspace");
  with_id(apply_command);
  with_json(apply_command);
  apply_command->callback([o, &exit_code] { exit_code = apply(*o); });

  auto r = std::make_shared<ResumeOptions>();
  auto* resume_command = session->add_subcommand(
      "resume", "Carry on an ended session in a new one, from its latest checkpoint or --from");
  resume_command->add_option("session_id", r->session_id, "The session")->required();
  resume_command->add_option("--from", r->checkpoint_id, "This checkpoint instead of the latest");
  add_resume_options(*resume_command, *r);
  resume_command->callback([r, &exit_code] { exit_code = run_resume(*r); });

  add_session_terminal_commands(*session, exit_code);
}

}  // namespace parhelia::cli
