#include "cli/session_output.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/composition.h"
#include "cli/output.h"
#include "cli/terminal_text.h"
#include "core/base/environment.h"
#include "core/views/cost_view.h"
#include "core/views/session_view.h"

namespace parhelia::cli {

std::unique_ptr<core::SessionService> open_sessions() {
  auto service = core::SessionService::open(core::parhelia_home(), sessions_backends());
  if (!service) {
    report(service.error());
    return nullptr;
  }
  return std::move(service).value();
}

int report(const core::Error& error) {
  print_error(error.sentence());
  return error.code == core::ErrorCode::invalid_input ? kExitUsage : kExitFailed;
}

namespace {

constexpr std::string_view kFieldIndent = "             ";

// The view with what the session or its submitter chose escaped for the terminal.
views::SessionView for_terminal(views::SessionView v) {
  const auto line = [](std::optional<std::string>& text) {
    if (text) text = terminal_line(*text);
  };
  v.name = terminal_line(v.name);
  v.task = terminal_line(v.task);
  v.workspace = terminal_line(v.workspace);
  line(v.gpu);
  line(v.last_activity);
  line(v.error);
  line(v.claude_session_id);
  line(v.resume_hint);
  if (v.final_answer) v.final_answer = terminal_block(*v.final_answer, kFieldIndent);
  for (auto& file : v.changed_files) file = terminal_line(file);
  return v;
}

}  // namespace

void print_session(core::SessionService& service, const core::Session& session, bool as_json) {
  if (as_json) {
    print_json(schema::encode(views::detailed_view(service, session)));
    return;
  }
  const views::SessionView view = for_terminal(views::detailed_view(service, session));
  std::cout << view.session_id << (view.name.empty() ? "" : "  [" + view.name + "]") << "\n"
            << "  state      " << view.state << "\n"
            << "  " << view.kind << (view.kind == "task" ? "       " : "    ") << view.task << "\n"
            << "  workspace  " << view.workspace << "\n"
            << "  backend    " << view.backend << (view.gpu ? " (GPU " + *view.gpu + ")" : "")
            << (view.sandboxed ? (view.network ? ", sandboxed" : ", sandboxed without network")
                               : ", not sandboxed")
            << "\n"
            << "  limits     " << view.limits << "\n"
            << "  created    " << view.created_at << "\n";
  if (view.started_at) std::cout << "  started    " << *view.started_at << "\n";
  if (view.finished_at) std::cout << "  finished   " << *view.finished_at << "\n";
  if (view.elapsed_s) {
    char elapsed[32];
    std::snprintf(elapsed, sizeof elapsed, "%.1f s", *view.elapsed_s);
    std::cout << "  elapsed    " << elapsed << "\n";
  }
  if (view.sandbox_id) std::cout << "  sandbox    " << *view.sandbox_id << "\n";
  if (view.exit_code) std::cout << "  exit code  " << *view.exit_code << "\n";
  std::cout << "  cost       " << views::usd(view.spent_usd.value_or(0)) << " spent, "
            << views::usd(view.reserved_usd) << " reserved"
            << (view.max_cost_usd ? ", capped at " + views::usd(*view.max_cost_usd) : std::string())
            << "\n";
  if (view.last_activity) std::cout << "  activity   " << *view.last_activity << "\n";
  if (view.error) std::cout << "  error      " << *view.error << "\n";
  if (view.final_answer) std::cout << "  answer     " << *view.final_answer << "\n";
  if (!view.changed_files.empty()) {
    std::cout << "  changed    " << view.changed_files.size()
              << (view.changed_files.size() == 1 ? " file\n" : " files\n");
    for (const auto& file : view.changed_files) std::cout << kFieldIndent << file << "\n";
  }
  if (view.parent_id)
    std::cout << "  resumes    " << *view.parent_id << " from " << view.restored_from.value_or("?")
              << "\n";
  if (view.resumed_as) {
    std::cout << "  resumed as";
    for (const auto& id : *view.resumed_as) std::cout << " " << id;
    std::cout << "\n";
  }
  if (view.latest_checkpoint) std::cout << "  checkpoint " << *view.latest_checkpoint << "\n";
  if (view.resume_hint) std::cout << "  resume     " << *view.resume_hint << "\n";
}

void print_session_line(const core::Session& session) {
  std::cout << views::one_line(for_terminal(views::view_of(session))) << "\n";
}

core::Result<core::Session> follow_log(core::SessionService& service, const std::string& id,
                                       std::uint64_t offset) {
  const auto print_new = [&] {
    for (auto chunk = service.log_from(id, offset, 1 << 16); chunk && !chunk->text.empty();
         chunk = service.log_from(id, offset, 1 << 16)) {
      std::cout << chunk->text << std::flush;
      offset = chunk->next_offset;
    }
  };
  auto session = service.wait_for_end(id, [&](const core::Session&) {
    print_new();
    return true;
  });
  // The supervisor writes all of the log before it records the end: this is the rest of it.
  print_new();
  return session;
}

bool cost_confirmed(core::SessionService& service, const core::SubmitRequest& request, bool yes) {
  if (yes) return true;
  // Checked whole first (a refusal comes before any question about cost).
  auto plan = service.plan(request);
  if (!plan) return true;
  auto above = service.confirmation_above(plan->estimate);
  if (!above || !above.value()) return true;
  const std::string cost = views::estimate_sentence(plan->estimate);
  if (::isatty(STDIN_FILENO) == 0) {
    print_error(views::unconfirmed(plan->estimate, *above.value()) +
                "; pass --yes to agree to it (or lower the timeout, GPU or --max-cost).");
    return false;
  }
  std::cout << cost << " Start it? [y/N] " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  if (answer == "y" || answer == "Y" || answer == "yes") return true;
  print_error("Not submitted.");
  return false;
}

}  // namespace parhelia::cli
