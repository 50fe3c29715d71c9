#include <iterator>

#include "core/store/database.h"

namespace parhelia::core {
namespace {

const char* const kSteps[] = {
    // 1: sessions and their events.
    R"sql(
    CREATE TABLE sessions (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL DEFAULT '',
      kind TEXT NOT NULL CHECK (kind IN ('task', 'command')),
      task TEXT NOT NULL,
      backend TEXT NOT NULL,
      gpu TEXT NOT NULL DEFAULT '',
      workspace TEXT NOT NULL,
      timeout_s INTEGER NOT NULL,
      sandboxed INTEGER NOT NULL,
      state TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      started_at INTEGER,
      finished_at INTEGER,
      exit_code INTEGER,
      supervisor_pid INTEGER,
      supervisor_start TEXT NOT NULL DEFAULT '',
      claude_session_id TEXT NOT NULL DEFAULT '',
      last_activity TEXT NOT NULL DEFAULT '',
      last_activity_at INTEGER,
      result_text TEXT NOT NULL DEFAULT '',
      result_json TEXT NOT NULL DEFAULT '',
      error TEXT NOT NULL DEFAULT '',
      changed_files TEXT NOT NULL DEFAULT '[]',
      updated_at INTEGER NOT NULL
    );
    CREATE INDEX sessions_newest ON sessions (created_at DESC, id DESC);
    CREATE INDEX sessions_by_state ON sessions (state, created_at DESC, id DESC);
    CREATE TABLE events (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
      at INTEGER NOT NULL,
      kind TEXT NOT NULL,
      from_state TEXT NOT NULL DEFAULT '',
      to_state TEXT NOT NULL DEFAULT '',
      detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX events_by_session ON events (session_id, id);
    )sql",
    // 2: costs. The ledger is append-only (triggers refuse UPDATE and DELETE); `charged`,
    // `spend_by_day` and `spend_by_session` are running totals kept in the same transaction as
    // each ledger row, so a budget question never sums a million rows.
    R"sql(
    ALTER TABLE sessions ADD COLUMN cpu_milli INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sessions ADD COLUMN memory_milli_gib INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sessions ADD COLUMN max_cost_micros INTEGER;
    ALTER TABLE sessions ADD COLUMN estimate_micros INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE ledger (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      charge_key TEXT NOT NULL UNIQUE,
      session_id TEXT NOT NULL,
      kind TEXT NOT NULL CHECK (kind IN ('compute', 'tokens', 'storage')),
      resource TEXT NOT NULL,
      unit TEXT NOT NULL,
      quantity_milli INTEGER NOT NULL,
      unit_price_pico INTEGER NOT NULL,
      amount_micros INTEGER NOT NULL,
      at INTEGER NOT NULL
    );
    CREATE INDEX ledger_by_session ON ledger (session_id, id);
    CREATE INDEX ledger_by_kind ON ledger (kind, id);
    CREATE TRIGGER ledger_append_only_update BEFORE UPDATE ON ledger
      BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
    CREATE TRIGGER ledger_append_only_delete BEFORE DELETE ON ledger
      BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
    CREATE TABLE charged (
      session_id TEXT NOT NULL,
      resource TEXT NOT NULL,
      quantity_milli INTEGER NOT NULL,
      amount_micros INTEGER NOT NULL,
      PRIMARY KEY (session_id, resource)
    ) WITHOUT ROWID;
    CREATE TABLE spend_by_day (
      day INTEGER PRIMARY KEY,
      amount_micros INTEGER NOT NULL
    );
    CREATE TABLE spend_by_session (
      session_id TEXT PRIMARY KEY,
      amount_micros INTEGER NOT NULL,
      last_at INTEGER NOT NULL
    );
    CREATE INDEX spend_by_session_amount ON spend_by_session (amount_micros DESC);
    CREATE TABLE reservations (
      session_id TEXT PRIMARY KEY,
      amount_micros INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      released_at INTEGER
    );
    CREATE INDEX reservations_held ON reservations (created_at) WHERE released_at IS NULL;
    CREATE TABLE budget_settings (
      name TEXT PRIMARY KEY,
      value TEXT NOT NULL
    );
    CREATE TABLE budget_changes (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      at INTEGER NOT NULL,
      name TEXT NOT NULL,
      old_value TEXT,
      new_value TEXT,
      origin TEXT NOT NULL
    );
    CREATE TABLE budget_alerts (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      scope TEXT NOT NULL,
      period TEXT NOT NULL,
      threshold_pct INTEGER NOT NULL,
      spend_micros INTEGER NOT NULL,
      limit_micros INTEGER NOT NULL,
      session_id TEXT NOT NULL DEFAULT '',
      at INTEGER NOT NULL,
      UNIQUE (scope, period, threshold_pct)
    );
    CREATE INDEX budget_alerts_by_time ON budget_alerts (at);
    )sql",
    // 3: checkpoints and the lineage of resumed sessions.
    R"sql(
    ALTER TABLE sessions ADD COLUMN parent_id TEXT NOT NULL DEFAULT '';
    ALTER TABLE sessions ADD COLUMN restore_from TEXT NOT NULL DEFAULT '';
    ALTER TABLE sessions ADD COLUMN resume_agent_session TEXT NOT NULL DEFAULT '';
    ALTER TABLE sessions ADD COLUMN checkpoint_every_s INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX sessions_by_parent ON sessions (parent_id) WHERE parent_id != '';
    CREATE TABLE checkpoint_bases (
      tree TEXT PRIMARY KEY,
      sha256 TEXT NOT NULL,
      size_bytes INTEGER NOT NULL,
      created_at INTEGER NOT NULL
    );
    CREATE TABLE checkpoints (
      id TEXT PRIMARY KEY,
      session_id TEXT NOT NULL,
      trigger TEXT NOT NULL
        CHECK (trigger IN ('manual', 'periodic', 'timeout', 'budget', 'stop', 'end')),
      sha256 TEXT NOT NULL,
      size_bytes INTEGER NOT NULL,
      base_tree TEXT NOT NULL REFERENCES checkpoint_bases (tree),
      workspace_tree TEXT NOT NULL,
      transcript_sha256 TEXT NOT NULL,
      workspace_form TEXT NOT NULL CHECK (workspace_form IN ('files', 'archive')),
      changed_files INTEGER NOT NULL,
      claude_session_id TEXT NOT NULL,
      log_offset INTEGER NOT NULL,
      spent_micros INTEGER NOT NULL,
      created_at INTEGER NOT NULL
    );
    CREATE INDEX checkpoints_by_session ON checkpoints (session_id, created_at DESC, id DESC);
    CREATE INDEX checkpoints_by_base ON checkpoints (base_tree);
    )sql",
    // 4: where a remote session's terminal is, with the host key pinned at its start.
    R"sql(
    CREATE TABLE ssh_endpoints (
      session_id TEXT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
      host TEXT NOT NULL,
      port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
      user TEXT NOT NULL,
      host_key TEXT NOT NULL,
      tmux_socket TEXT NOT NULL,
      tmux_session TEXT NOT NULL,
      pinned_at INTEGER NOT NULL
    );
    )sql",
    // 5: whether a session's sandbox keeps the network (Claude Code needs its API).
    R"sql(
    ALTER TABLE sessions ADD COLUMN network INTEGER NOT NULL DEFAULT 1;
    )sql",
    // 6: beside a checkpoint's copy here, the copy of the whole sandbox its backend keeps (a
    // Modal filesystem snapshot) until it expires; and how long a session's sandbox is kept
    // after its work ends.
    R"sql(
    ALTER TABLE checkpoints ADD COLUMN sandbox_image TEXT NOT NULL DEFAULT '';
    ALTER TABLE checkpoints ADD COLUMN sandbox_image_expires_at INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE sessions ADD COLUMN keep_alive_s INTEGER NOT NULL DEFAULT 0;
    )sql",
};

}  // namespace

std::size_t schema_version() {
  return std::size(kSteps);
}

const char* schema_step(std::size_t index) {
  return kSteps[index];
}

}  // namespace parhelia::core
