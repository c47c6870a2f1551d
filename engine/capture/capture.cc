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

bool IsWholeRowTable(const std::string& table) { return table == "scores"; }

const char* NextHlcSql() {
  return "max(CAST(round((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER) * 65536, "
         "coalesce((SELECT hlc FROM _sync_changes ORDER BY seq DESC LIMIT 1), 0) + 1, "
         "(SELECT received_hlc FROM _sync_replica) + 1)";
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
