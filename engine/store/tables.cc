// The `_sync_` metadata tables and the replicated tables' layout (liaison/tables.h).
#include "liaison/tables.h"

#include <algorithm>

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

Status CreateSyncMetadata(Db& db) {
  // The tables are described in engine/capture/CHANGELOG.md (the local log) and
  // engine/merge/POLICY.md (rows, received changes, conflicts, origins).
  return db.Exec(R"sql(
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
)sql");
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
