// The `_sync_` metadata tables and the replicated tables' layout (liaison/tables.h).
#include "liaison/tables.h"

#include <algorithm>
#include <iterator>

namespace liaison {
namespace {

bool IsMetadataName(const std::string& name) {
  return name.rfind("_sync_", 0) == 0 || name.rfind("sqlite_", 0) == 0;
}

}  // namespace

std::vector<std::string> TableInfo::ValueColumns() const {
  std::vector<std::string> out;
  for (const auto& c : columns) {
    if (!c.primary_key) out.push_back(c.name);
  }
  return out;
}

bool TableInfo::HasColumn(const std::string& column) const {
  return std::any_of(columns.begin(), columns.end(),
                     [&](const ColumnInfo& c) { return c.name == column; });
}

namespace {

// The `_sync_` schema, one step a version; a step is never changed once released,
// and a new table or index is a new step. Every statement is idempotent (IF NOT
// EXISTS), so a replica made before the version was kept takes every step safely.
const char* const kSyncSchemaSteps[] = {
    // 1. The replica's own metadata: described in engine/capture/CHANGELOG.md (the
    //    local log) and engine/merge/POLICY.md (rows, received changes, conflicts,
    //    origins).
    R"sql(
CREATE TABLE IF NOT EXISTS _sync_replica (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  replica_id TEXT NOT NULL,
  office_id TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('office', 'hub')),
  created_at TEXT NOT NULL,
  received_hlc INTEGER NOT NULL DEFAULT 0,
  sealed_seq INTEGER NOT NULL DEFAULT 0,
  folded_seq INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS _sync_changes (
  seq INTEGER PRIMARY KEY,
  hlc INTEGER NOT NULL,
  tbl TEXT NOT NULL,
  pk TEXT NOT NULL,
  op TEXT NOT NULL,
  vals TEXT,
  old TEXT,
  epoch_hlc INTEGER,
  epoch_origin TEXT,
  bases TEXT
);
CREATE TABLE IF NOT EXISTS _sync_sealed (
  seq INTEGER PRIMARY KEY,
  vals TEXT
);
CREATE TABLE IF NOT EXISTS _sync_received (
  pos INTEGER PRIMARY KEY,
  origin TEXT NOT NULL,
  seq INTEGER NOT NULL,
  hlc INTEGER NOT NULL,
  tbl TEXT NOT NULL,
  pk TEXT NOT NULL,
  op TEXT NOT NULL,
  vals TEXT,
  epoch_hlc INTEGER,
  epoch_origin TEXT,
  bases TEXT,
  own_seq INTEGER NOT NULL,
  parked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS _sync_received_parked ON _sync_received (tbl, pk) WHERE parked = 1;
CREATE TABLE IF NOT EXISTS _sync_origins (
  origin TEXT PRIMARY KEY NOT NULL,
  contiguous_seq INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _sync_pending (
  origin TEXT NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (origin, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _sync_rows (
  tbl TEXT NOT NULL,
  pk TEXT NOT NULL,
  epoch_hlc INTEGER NOT NULL,
  epoch_origin TEXT NOT NULL,
  deleted INTEGER NOT NULL,
  cols TEXT,
  killed_hlc INTEGER,
  killed_origin TEXT,
  PRIMARY KEY (tbl, pk)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _sync_conflicts (
  id INTEGER PRIMARY KEY,
  detected_at TEXT NOT NULL,
  tbl TEXT NOT NULL,
  pk TEXT NOT NULL,
  col TEXT NOT NULL,
  reason TEXT NOT NULL,
  winner_value TEXT NOT NULL,
  winner_hlc INTEGER NOT NULL,
  winner_origin TEXT NOT NULL,
  loser_value TEXT NOT NULL,
  loser_hlc INTEGER NOT NULL,
  loser_origin TEXT NOT NULL,
  resolved_at TEXT,
  resolution TEXT
);
)sql",
    // 2. What an office keeps of its hub (engine/hub/HUB.md, "Master log and cursors";
    //    engine/audit/AUDIT.md, "Witnesses") and of its cleanings ("Retention").
    R"sql(
CREATE TABLE IF NOT EXISTS _sync_cleaned (origin TEXT PRIMARY KEY NOT NULL, seq INTEGER
  NOT NULL, hlc INTEGER NOT NULL, cleaned_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _sync_hub_link (hub_replica_id TEXT PRIMARY KEY NOT NULL,
  cursor_own INTEGER NOT NULL DEFAULT 0, cursor_received INTEGER NOT NULL DEFAULT 0,
  schema_version INTEGER NOT NULL DEFAULT 0, last_sync_at TEXT, last_equal_at TEXT,
  last_equal_sequence INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _sync_witness (hub_replica_id TEXT NOT NULL, n INTEGER NOT
  NULL, head BLOB NOT NULL, signed_ms INTEGER NOT NULL, signature BLOB NOT NULL,
  certificate BLOB NOT NULL, seen_ms INTEGER NOT NULL, extends INTEGER NOT NULL,
  PRIMARY KEY (hub_replica_id, n, head)) WITHOUT ROWID;
)sql",
    // 3. The hub's: replica bindings, each office's syncs, the quarantine and the
    //    scope of deleted rows (HUB.md, "Tables"), retention ("Retention"), and the
    //    audit chain, signed checkpoints and offices' signed batches (AUDIT.md).
    R"sql(
CREATE TABLE IF NOT EXISTS _sync_hub_replicas (
  replica_id TEXT PRIMARY KEY NOT NULL,
  office_id TEXT NOT NULL,
  first_seen_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _sync_hub_offices (
  office_id TEXT PRIMARY KEY NOT NULL,
  last_sync_at TEXT,
  last_result TEXT,
  pushed INTEGER NOT NULL DEFAULT 0,
  pulled INTEGER NOT NULL DEFAULT 0,
  conflicts INTEGER NOT NULL DEFAULT 0,
  quarantined INTEGER NOT NULL DEFAULT 0,
  skew_ms INTEGER NOT NULL DEFAULT 0,
  last_equal_at TEXT,
  last_equal_sequence INTEGER NOT NULL DEFAULT 0,
  last_mismatch INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _sync_quarantine (
  id INTEGER PRIMARY KEY,
  received_at TEXT NOT NULL,
  office_id TEXT NOT NULL,
  origin TEXT NOT NULL,
  seq INTEGER NOT NULL,
  hlc INTEGER NOT NULL,
  tbl TEXT NOT NULL,
  pk TEXT NOT NULL,
  op TEXT NOT NULL,
  vals TEXT NOT NULL,
  epoch_hlc INTEGER NOT NULL,
  epoch_origin TEXT NOT NULL,
  reason TEXT NOT NULL,
  payload BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS _sync_quarantine_office ON _sync_quarantine (office_id);
CREATE TABLE IF NOT EXISTS _sync_hub_acks (
  replica_id TEXT PRIMARY KEY NOT NULL,
  office_id TEXT NOT NULL,
  own INTEGER NOT NULL DEFAULT 0,
  received INTEGER NOT NULL DEFAULT 0,
  acked_ms INTEGER,
  retired_ms INTEGER
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _sync_retention (
  id INTEGER PRIMARY KEY,
  cleaned_ms INTEGER NOT NULL,
  retain_days INTEGER NOT NULL,
  head_own INTEGER NOT NULL,
  head_received INTEGER NOT NULL,
  floor_own INTEGER NOT NULL,
  floor_received INTEGER NOT NULL,
  counted INTEGER NOT NULL,
  lapsed INTEGER NOT NULL,
  slimmed INTEGER NOT NULL DEFAULT 0,
  covered INTEGER NOT NULL DEFAULT 0,
  max_clock INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS _sync_retention_horizon (
  cleaning INTEGER NOT NULL,
  origin TEXT NOT NULL,
  hlc INTEGER NOT NULL,
  PRIMARY KEY (cleaning, origin)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _sync_hub_scope (tbl TEXT NOT NULL, pk TEXT NOT NULL,
  owner TEXT NOT NULL, audience TEXT, PRIMARY KEY (tbl, pk)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _sync_audit (n INTEGER PRIMARY KEY, accepted_ms INTEGER NOT
  NULL, office TEXT NOT NULL, own INTEGER NOT NULL, received INTEGER NOT NULL, hash BLOB NOT
  NULL);
CREATE TABLE IF NOT EXISTS _sync_checkpoints (n INTEGER NOT NULL, head BLOB NOT NULL,
  signed_ms INTEGER NOT NULL, signature BLOB NOT NULL, certificate BLOB NOT NULL,
  PRIMARY KEY (n, certificate));
CREATE TABLE IF NOT EXISTS _sync_batches (id INTEGER PRIMARY KEY, office TEXT NOT NULL,
  origin TEXT NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,
  accepted_ms INTEGER NOT NULL, digests BLOB NOT NULL, signature BLOB NOT NULL,
  certificate BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS _sync_batches_origin ON _sync_batches (origin, first_seq);
)sql",
};
static_assert(std::size(kSyncSchemaSteps) == kSyncSchemaVersion);

}  // namespace

Status CreateSyncMetadata(Db& db) {
  LIAISON_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginOrJoin(db));
  LIAISON_RETURN_IF_ERROR(
      db.Exec("CREATE TABLE IF NOT EXISTS _sync_schema (singleton INTEGER PRIMARY KEY CHECK "
              "(singleton = 1), version INTEGER NOT NULL)"));
  LIAISON_ASSIGN_OR_RETURN(
      std::int64_t version,
      db.QueryInt("SELECT coalesce((SELECT version FROM _sync_schema), 0)"));
  if (version > kSyncSchemaVersion) {
    return Status::FailedPrecondition("the replica's _sync_ schema is version " +
                                      std::to_string(version) + ", newer than this program's " +
                                      std::to_string(kSyncSchemaVersion) + ": upgrade liaison");
  }
  for (std::int64_t step = version; step < kSyncSchemaVersion; ++step) {
    LIAISON_RETURN_IF_ERROR(db.Exec(kSyncSchemaSteps[step]));
  }
  if (version < kSyncSchemaVersion) {
    LIAISON_RETURN_IF_ERROR(db.Exec("INSERT OR REPLACE INTO _sync_schema(singleton, version) "
                                    "VALUES(1, " + std::to_string(kSyncSchemaVersion) + ")"));
  }
  return txn.Commit();
}

Result<std::vector<TableInfo>> ReplicatedTables(Db& db) {
  LIAISON_ASSIGN_OR_RETURN(
      std::vector<std::string> names,
      db.QueryTexts("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name"));
  std::vector<TableInfo> tables;
  for (const auto& name : names) {
    if (IsMetadataName(name)) continue;
    TableInfo table{name, {}, false};
    LIAISON_ASSIGN_OR_RETURN(Stmt strict,
                             db.Prepare("SELECT strict FROM pragma_table_list WHERE name = ?"));
    strict.Bind(1, std::string_view(name));
    LIAISON_ASSIGN_OR_RETURN(bool found, strict.Step());
    table.strict = found && strict.Int(0) != 0;
    LIAISON_ASSIGN_OR_RETURN(
        Stmt stmt, db.Prepare("SELECT name, upper(type), \"notnull\", pk FROM pragma_table_info(?) "
                              "ORDER BY cid"));
    stmt.Bind(1, std::string_view(name));
    for (;;) {
      LIAISON_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      table.columns.push_back({stmt.Text(0), stmt.Text(1), stmt.Int(2) != 0, stmt.Int(3) != 0});
    }
    tables.push_back(std::move(table));
  }
  return tables;
}

}  // namespace liaison
