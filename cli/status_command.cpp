// `parhelia status [ID]`: one session, or every live one plus the installation's health.
#include <iostream>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/session_output.h"
#include "cli/terminal_text.h"
#include "core/service/health.h"
#include "core/views/session_view.h"

namespace parhelia::cli {
namespace {

int run_status(const std::string& id, bool as_json) {
  auto service = open_sessions();
  if (!service) return kExitFailed;
  if (!id.empty()) {
    auto session = service->get(id);
    if (!session) return report(session.error());
    print_session(*service, session.value(), as_json);
    if (!as_json) {
      std::cout << "  history\n";
      for (const auto& event : service->events(id).value_or({})) {
        views::EventView e = views::view_of(event);
        e.detail = terminal_line(e.detail);
        std::cout << "    " << e.at << "  " << views::what_happened(e) << "\n";
      }
    }
    return kExitOk;
  }
  const core::StoreStats stats = service->store_stats();
  const auto& counts = stats.by_state;
  core::SessionQuery live_query;
  live_query.limit = 50;
  std::vector<core::Session> live;
  for (auto state : {core::SessionState::running, core::SessionState::provisioning,
                     core::SessionState::queued}) {
    live_query.state = state;
    for (auto& s : service->recorded(live_query).value_or({})) live.push_back(std::move(s));
  }
  if (as_json) {
    nlohmann::json by_state = nlohmann::json::object();
    for (const auto& [state, count] : counts) by_state[std::string(core::to_string(state))] = count;
    nlohmann::json live_ids = nlohmann::json::array();
    for (const auto& s : live) live_ids.push_back(s.id);
    print_json({{"parhelia_home", service->home().string()},
                {"store_path", stats.path.string()},
                {"store_bytes", stats.size_bytes},
                {"sessions_by_state", by_state},
                {"live_sessions", live_ids}});
    return kExitOk;
  }
  std::cout << "Parhelia state in " << terminal_line(service->home().string()) << "\nSessions:";
  if (counts.empty()) std::cout << " none yet";
  for (const auto& [state, count] : counts)
    std::cout << "  " << core::to_string(state) << " " << count;
  std::cout << "\n";
  for (const auto& s : live) print_session_line(s);
  std::cout << "(`parhelia doctor` checks the installation.)\n";
  return kExitOk;
}

}  // namespace

void add_status_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("status", "Show one session, or the sessions running now");
  auto id = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  command->add_option("session_id", *id, "The session (task-xxxxxxxx)");
  command->add_flag("--json", *as_json, "Print JSON");
  command->callback([id, as_json, &exit_code] { exit_code = run_status(*id, *as_json); });
}

}  // namespace parhelia::cli
