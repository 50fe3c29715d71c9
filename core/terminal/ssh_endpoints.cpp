#include "core/terminal/ssh_endpoints.h"

#include "core/session/session.h"

namespace parhelia::core {

namespace {

std::optional<SshEndpoint> read_endpoint(sqlite::Connection& db, const std::string& session_id) {
  auto query = db.cached(
      "SELECT host, port, user, host_key, tmux_socket, tmux_session FROM ssh_endpoints "
      "WHERE session_id = ?");
  query->bind(1, session_id);
  if (!query->step()) return std::nullopt;
  SshEndpoint endpoint;
  endpoint.host = query->text(0);
  endpoint.port = static_cast<int>(query->integer(1));
  endpoint.user = query->text(2);
  endpoint.host_key = SshPublicKey::parse(query->text(3)).value_or(SshPublicKey{});
  endpoint.tmux = {query->text(4), query->text(5)};
  return endpoint;
}

}  // namespace

Result<Done> EndpointStore::pin(const std::string& session_id, const SshEndpoint& endpoint) {
  auto outcome = database_->run([&](sqlite::Connection& db) -> std::optional<SshPublicKey> {
    sqlite::Transaction transaction(db);
    const auto pinned = read_endpoint(db, session_id);
    if (pinned && !(pinned->host_key == endpoint.host_key)) return pinned->host_key;
    db.cached(
          "INSERT INTO ssh_endpoints (session_id, host, port, user, host_key, tmux_socket, "
          "tmux_session, pinned_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (session_id) DO "
          "UPDATE SET host = excluded.host, port = excluded.port, user = excluded.user, "
          "tmux_socket = excluded.tmux_socket, tmux_session = excluded.tmux_session")
        ->bind(1, session_id)
        .bind(2, endpoint.host)
        .bind(3, endpoint.port)
        .bind(4, endpoint.user)
        .bind(5, endpoint.host_key.line())
        .bind(6, endpoint.tmux.socket)
        .bind(7, endpoint.tmux.session)
        .bind(8, now_ms())
        .run();
    transaction.commit();
    return std::nullopt;
  });
  if (!outcome) return outcome.error();
  if (const auto& pinned_key = outcome.value()) {
    return Error{ErrorCode::conflict,
                 "Session " + session_id + " reported host key " + endpoint.host_key.fingerprint() +
                     ", but " + pinned_key->fingerprint() +
                     " is pinned for it; the new key was refused.",
                 "Treat the session's container as untrusted: stop it and resume from a "
                 "checkpoint."};
  }
  return Done{};
}

Result<std::optional<SshEndpoint>> EndpointStore::get(const std::string& session_id) {
  return database_->run([&](sqlite::Connection& db) { return read_endpoint(db, session_id); });
}

}  // namespace parhelia::core
