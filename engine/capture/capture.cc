#include "liaison/capture.h"

#include <algorithm>

namespace liaison {
namespace {

std::string Literal(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
  return out;
}

bool IsMetadataName(const std::string& name) {
  return name.rfind("_sync_", 0) == 0 || name.rfind("sqlite_", 0) == 0;
}

// json_object('a', OLD."a", 'b', OLD."b", ...) over the value columns.
std::string JsonObjectOf(const TableInfo& table, const char* row) {
  std::string out = "json_object(";
  bool first = true;
  for (const auto& column : table.ValueColumns()) {
    if (!first) out += ", ";
    first = false;
    out += Literal(column) + ", " + row + "." + QuoteIdent(column);
  }
  return out + ")";
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

bool IsWholeRowTable(const std::string& table) { return table == "scores"; }

const char* NextHlcSql() {
  return "max(CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER) * 65536, "
         "coalesce((SELECT hlc FROM _sync_changes ORDER BY seq DESC LIMIT 1), 0) + 1, "
         "(SELECT received_hlc FROM _sync_replica) + 1)";
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

Status CheckReplicatedTable(const TableInfo& table) {
  auto fail = [&](const std::string& why) {
    return Status::FailedPrecondition("replicated table " + table.name + ": " + why);
  };
  if (!table.strict) return fail("must be declared STRICT");
  int keys = 0;
  for (const auto& c : table.columns) {
    if (c.primary_key) ++keys;
    if (c.type != "TEXT" && c.type != "INTEGER") {
      return fail("column " + c.name + " has type " + c.type + "; only TEXT and INTEGER");
    }
  }
  if (table.columns.empty() || keys != 1 || !table.columns[0].primary_key ||
      table.columns[0].name != "id" || table.columns[0].type != "TEXT" ||
      !table.columns[0].not_null) {
    return fail("the primary key must be the first column, `id TEXT NOT NULL`, alone");
  }
  auto owner = std::find_if(table.columns.begin(), table.columns.end(),
                            [](const ColumnInfo& c) { return c.name == "owner"; });
  if (owner == table.columns.end() || owner->type != "TEXT" || !owner->not_null) {
    return fail("needs an `owner TEXT NOT NULL` column");
  }
  return Status::Ok();
}

std::string CaptureTriggerSql(const TableInfo& table) {
  const std::string t = QuoteIdent(table.name);
  const std::string name = Literal(table.name);
  const std::string hlc = NextHlcSql();
  std::string sql;

  sql += "CREATE TRIGGER " + QuoteIdent("_sync_" + table.name + "_insert") + " AFTER INSERT ON " +
         t + " BEGIN\n  INSERT INTO _sync_changes(hlc, tbl, pk, op) VALUES(" + hlc + ", " + name +
         ", NEW.id, 'I');\nEND;\n";

  sql += "CREATE TRIGGER " + QuoteIdent("_sync_" + table.name + "_key") + " BEFORE UPDATE OF id ON " +
         t +
         " WHEN NEW.id IS NOT OLD.id BEGIN\n  SELECT RAISE(ABORT, 'the id of a replicated row "
         "cannot change: delete the row and insert a new one');\nEND;\n";

  std::string changed, any_change;
  for (const auto& column : table.ValueColumns()) {
    const std::string q = QuoteIdent(column);
    if (!any_change.empty()) any_change += " OR ";
    any_change += "NEW." + q + " IS NOT OLD." + q + " OR typeof(NEW." + q + ") IS NOT typeof(OLD." +
                  q + ")";
  }
  for (const auto& column : table.ValueColumns()) {
    const std::string c = QuoteIdent(column);
    if (!changed.empty()) changed += "\n    UNION ALL ";
    changed += "SELECT " + Literal(column) + " AS c, NEW." + c + " AS n, OLD." + c + " AS o";
    if (!IsWholeRowTable(table.name)) {
      changed += " WHERE NEW." + c + " IS NOT OLD." + c + " OR typeof(NEW." + c +
                 ") IS NOT typeof(OLD." + c + ")";
    }
  }
  sql += "CREATE TRIGGER " + QuoteIdent("_sync_" + table.name + "_update") +
         " AFTER UPDATE ON " + t +
         " BEGIN\n  INSERT INTO _sync_changes(hlc, tbl, pk, op, vals, old)\n  SELECT " + hlc +
         ", " + name +
         ", NEW.id, 'U', json_group_object(c, n), json_group_object(c, o)\n  FROM (" + changed +
         ")\n  HAVING " + (IsWholeRowTable(table.name) ? any_change : std::string("count(*) > 0")) +
         ";\nEND;\n";

  sql += "CREATE TRIGGER " + QuoteIdent("_sync_" + table.name + "_delete") +
         " AFTER DELETE ON " + t + " BEGIN\n  INSERT INTO _sync_changes(hlc, tbl, pk, op, old) VALUES(" +
         hlc + ", " + name + ", OLD.id, 'D', " + JsonObjectOf(table, "OLD") + ");\nEND;\n";
  return sql;
}

Status InstallCapture(Db& db) {
  LIAISON_ASSIGN_OR_RETURN(
      std::vector<std::string> triggers,
      db.QueryTexts("SELECT name FROM sqlite_schema WHERE type = 'trigger' AND name LIKE '\\_sync\\_%' ESCAPE '\\'"));
  for (const auto& trigger : triggers) {
    LIAISON_RETURN_IF_ERROR(db.Exec("DROP TRIGGER " + QuoteIdent(trigger)));
  }
  LIAISON_ASSIGN_OR_RETURN(std::vector<TableInfo> tables, ReplicatedTables(db));
  for (const auto& table : tables) {
    LIAISON_RETURN_IF_ERROR(CheckReplicatedTable(table));
    LIAISON_RETURN_IF_ERROR(db.Exec(CaptureTriggerSql(table)).WithContext("capture " + table.name));
  }
  return Status::Ok();
}

}  // namespace liaison
