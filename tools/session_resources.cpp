// tools/session_resources.cpp: sessions as resources: parhelia://sessions/{id} (JSON),
// .../log (text) and .../patch (git diff), with session ids completed from the store.
#include "core/service/sessions.h"
#include "core/views/session_view.h"
#include "tools/tool_support.h"
#include "tools/toolset.h"

namespace parhelia::tools {
namespace {

// A resource read returns at most this much: the end of a log, the start of a patch.
constexpr std::size_t kMaxResourceBytes = 256 * 1024;

std::vector<server::ResourceInfo> recent_sessions(core::SessionService& service) {
  std::vector<server::ResourceInfo> items;
  core::SessionQuery query;
  query.limit = 20;
  for (const auto& s : service.recorded(query).value_or({})) {
    items.push_back({session_uri(s.id), s.id, s.name.empty() ? s.id : s.name,
                     std::string(core::to_string(s.state)) + ": " + s.task.substr(0, 80),
                     std::nullopt});
  }
  return items;
}

}  // namespace

void register_session_resources(server::Toolset& toolset, core::SessionService& service) {
  toolset.resources().add(
      {.uri_template = "parhelia://sessions/{id}",
       .name = "session",
       .title = "Parhelia session",
       .description = "A session as JSON: state, times, exit code, activity, final answer, changed "
                      "files, history.",
       .mime_type = "application/json"},
      [&service] { return recent_sessions(service); },
      [&service](const server::UriVariables& v) -> std::optional<server::ResourceContents> {
        auto session = service.get(v.at("id"));
        if (!session) return std::nullopt;
        server::json body = schema::encode(view_of(session.value(), service));
        body["events"] = server::json::array();
        for (const auto& e : service.events(session->id).value_or({}))
          body["events"].push_back(schema::encode(view_of(e)));
        // Its task, activity and answer are the session's own words, not always UTF-8.
        return server::ResourceContents{
            body.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)};
      },
      {{"id", session_ids(service)}});

  toolset.resources().add(
      {.uri_template = "parhelia://sessions/{id}/log",
       .name = "session-log",
       .title = "Parhelia session log",
       .description = "The output of a session as it runs (the last 256 KiB); subscribe to hear "
                      "when it grows.",
       .mime_type = "text/plain"},
      [] { return std::vector<server::ResourceInfo>{}; },
      [&service](const server::UriVariables& v) -> std::optional<server::ResourceContents> {
        auto chunk = service.log_tail(v.at("id"), std::numeric_limits<std::size_t>::max(),
                                      kMaxResourceBytes);
        if (!chunk) return std::nullopt;
        std::string text = chunk->offset > 0 ? "[the first " + std::to_string(chunk->offset) +
                                                   " bytes are left out]\n"
                                             : "";
        return server::ResourceContents{text + chunk->text};
      },
      {{"id", session_ids(service)}});

  toolset.resources().add(
      {.uri_template = "parhelia://sessions/{id}/patch",
       .name = "session-patch",
       .title = "Parhelia session patch",
       .description =
           "A finished session's changes to its workspace, as a git diff (the first 256 KiB).",
       .mime_type = "text/x-diff"},
      [] { return std::vector<server::ResourceInfo>{}; },
      [&service](const server::UriVariables& v) -> std::optional<server::ResourceContents> {
        auto results = service.results(v.at("id"));
        if (!results) return std::nullopt;
        auto chunk = core::read_log_from(results->patch_file, 0, kMaxResourceBytes);
        if (chunk.size > chunk.next_offset) {
          chunk.text += "\n[cut at " + std::to_string(chunk.next_offset) + " of " +
                        std::to_string(chunk.size) + " bytes; `parhelia session results " +
                        results->session.id + " --patch` prints it whole]\n";
        }
        return server::ResourceContents{chunk.text};
      },
      {{"id", session_ids(service)}});
}

namespace {

void relay_budget_alerts(server::Toolset& toolset, core::SessionService& service,
                         std::int64_t started_at, std::int64_t& last_alert) {
  auto alerts = service.alerts_unseen(last_alert, started_at, 20);
  if (!alerts) return;
  for (const auto& alert : alerts.value()) {
    spdlog::warn("{}", alert.sentence());
    toolset.log(server::LogLevel::warning, "parhelia.budget", alert.sentence());
    last_alert = alert.id;
  }
}

}  // namespace

SessionWatcher::SessionWatcher(server::Toolset& toolset, core::SessionService& service)
    : thread_([this, &toolset, &service](std::stop_token stop) { watch(toolset, service, stop); }) {
}

void SessionWatcher::watch(server::Toolset& toolset, core::SessionService& service,
                           std::stop_token stop) {
  // What each subscribed resource looked like at the last look: a log's size, a session's
  // last update time.
  std::map<std::string, std::int64_t> seen;
  // Budget alerts recorded from now on (by any process: a session's supervisor records
  // them) go to every client as warnings; older ones are shown by status and budget show.
  const std::int64_t started_at = core::now_ms();
  std::int64_t last_alert = 0;
  // The first look comes a round after the start: the server answers its first requests
  // before anything opens the database.
  for (int round = 1; !stop.stop_requested(); ++round) {
    std::mutex idle;
    std::unique_lock lock(idle);
    std::condition_variable_any().wait_for(lock, stop, std::chrono::milliseconds(250),
                                           [] { return false; });
    if (stop.stop_requested()) break;
    if (round % 4 == 1) relay_budget_alerts(toolset, service, started_at, last_alert);
    // What any client is subscribed to is looked at once; each change goes to the clients
    // subscribed to it.
    for (const auto& uri : toolset.subscriptions()) {
      const std::string prefix = "parhelia://sessions/";
      if (uri.rfind(prefix, 0) != 0) continue;
      const std::string rest = uri.substr(prefix.size());
      const std::string id = rest.substr(0, rest.find('/'));
      const std::string part = rest.size() > id.size() ? rest.substr(id.size() + 1) : "";
      std::int64_t mark = -1;
      if (part == "log") {
        std::error_code ec;
        const auto size = std::filesystem::file_size(service.files(id).log, ec);
        mark = ec ? -1 : static_cast<std::int64_t>(size);
      } else if (auto session = service.recorded(id)) {
        mark = session->updated_at;
      }
      const auto [it, first] = seen.try_emplace(uri, mark);
      if (!first && it->second != mark) {
        it->second = mark;
        toolset.resource_updated(uri);
      }
    }
  }
}

}  // namespace parhelia::tools
