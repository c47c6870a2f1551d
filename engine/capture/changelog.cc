#include "liaison/changelog.h"

#include <algorithm>
#include <map>
#include <utility>

#include "liaison/capture.h"
#include "liaison/json.h"

namespace liaison {
namespace {

using RowKey = std::pair<std::string, std::string>;  // (table, pk)
using Overlay = std::vector<ColumnValue>;            // column -> value as inserted

void Apply(Overlay& overlay, const std::vector<ColumnValue>& olds) {
  for (const auto& cv : olds) {
    auto it = std::find_if(overlay.begin(), overlay.end(),
                           [&](const ColumnValue& o) { return o.column == cv.column; });
    if (it == overlay.end()) {
      overlay.push_back(cv);
    } else {
      it->value = cv.value;
    }
  }
}

// Reads the current values of one row, or nothing when it no longer exists.
class RowReader {
 public:
  explicit RowReader(Db& db) : db_(db) {}

  Result<std::vector<ColumnValue>> Read(const std::string& table, const std::string& pk) {
    auto it = stmts_.find(table);
    if (it == stmts_.end()) {
      LIAISON_ASSIGN_OR_RETURN(
          Stmt stmt, db_.Prepare("SELECT * FROM " + QuoteIdent(table) + " WHERE id = ?"));
      it = stmts_.emplace(table, std::move(stmt)).first;
    }
    Stmt& stmt = it->second;
    stmt.Reset();
    stmt.Bind(1, std::string_view(pk));
    std::vector<ColumnValue> values;
    LIAISON_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (row) {
      for (int i = 0; i < stmt.ColumnCount(); ++i) {
        std::string name = stmt.ColumnName(i);
        if (name != "id") values.push_back({std::move(name), stmt.GetValue(i)});
      }
    }
    stmt.Reset();
    return values;
  }

 private:
  Db& db_;
  std::map<std::string, Stmt> stmts_;
};

}  // namespace

const char* ChangeOpName(ChangeOp op) {
  switch (op) {
    case ChangeOp::kInsert: return "insert";
    case ChangeOp::kUpdate: return "update";
    case ChangeOp::kDelete: return "delete";
  }
  return "?";
}

std::string ColumnValuesJson(const std::vector<ColumnValue>& values) {
  JsonWriter w;
  w.BeginObject();
  for (const auto& cv : values) w.Key(cv.column).Val(cv.value);
  w.EndObject();
  return w.str();
}

Result<std::vector<ColumnValue>> ParseColumnValues(std::string_view json) {
  JsonObjectReader reader(json);
  std::vector<ColumnValue> out;
  for (;;) {
    auto column = reader.NextKey();
    if (!column.ok()) return column.status().WithContext("bad change values");
    if (!*column) return out;
    auto value = reader.ReadValue();
    if (!value.ok()) return value.status().WithContext("bad change values");
    if (std::holds_alternative<double>(*value)) {
      return Status::Corruption("bad change values: column " + **column + " holds real");
    }
    out.push_back({std::move(**column), std::move(*value)});
  }
}

Status CollectTouchedRows(Db& db, std::int64_t after) {
  LIAISON_RETURN_IF_ERROR(
      db.Exec("CREATE TEMP TABLE IF NOT EXISTS _sync_touched (tbl TEXT NOT NULL, pk TEXT NOT NULL, "
              "PRIMARY KEY (tbl, pk)) WITHOUT ROWID; DELETE FROM temp._sync_touched;"));
  LIAISON_ASSIGN_OR_RETURN(
      Stmt collect, db.Prepare("INSERT OR IGNORE INTO temp._sync_touched(tbl, pk) SELECT tbl, pk "
                               "FROM _sync_changes WHERE seq > ? AND op <> 'I'"));
  collect.Bind(1, after);
  return collect.Run();
}

Status SealChanges(Db& db, std::int64_t up_to) {
  LIAISON_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginOrJoin(db));
  LIAISON_ASSIGN_OR_RETURN(std::int64_t sealed, db.QueryInt("SELECT sealed_seq FROM _sync_replica"));
  LIAISON_ASSIGN_OR_RETURN(std::int64_t last,
                           db.QueryInt("SELECT coalesce(max(seq), 0) FROM _sync_changes"));
  last = std::min(last, up_to);
  if (last <= sealed) return Status::Ok();

  // Inserts of rows that nothing changed since take their values from the row, in
  // one statement per table; the others are rebuilt one by one below.
  LIAISON_RETURN_IF_ERROR(CollectTouchedRows(db, sealed));
  LIAISON_ASSIGN_OR_RETURN(std::vector<TableInfo> tables, ReplicatedTables(db));
  for (const auto& table : tables) {
    std::string row_json = "json_object(";
    for (const auto& column : table.ValueColumns()) {
      if (row_json.size() > 12) row_json += ", ";
      row_json += "'" + column + "', r." + QuoteIdent(column);
    }
    row_json += ")";
    LIAISON_ASSIGN_OR_RETURN(
        Stmt bulk,
        db.Prepare("INSERT INTO _sync_sealed(seq, vals) SELECT c.seq, " + row_json + " FROM "
                   "_sync_changes c JOIN " + QuoteIdent(table.name) +
                   " AS r ON r.id = c.pk WHERE c.seq > ? AND c.seq <= ? AND c.op = 'I' AND "
                   "c.tbl = ? AND NOT EXISTS (SELECT 1 FROM temp._sync_touched t WHERE t.tbl = "
                   "c.tbl AND t.pk = c.pk) ORDER BY c.seq"));
    bulk.Bind(1, sealed).Bind(2, last).Bind(3, std::string_view(table.name));
    LIAISON_RETURN_IF_ERROR(bulk.Run());
  }
  LIAISON_ASSIGN_OR_RETURN(
      Stmt scan, db.Prepare("SELECT c.seq, c.tbl, c.pk, c.op, c.old FROM _sync_changes c JOIN "
                            "temp._sync_touched t ON t.tbl = c.tbl AND t.pk = c.pk WHERE "
                            "c.seq > ? ORDER BY c.seq DESC"));
  LIAISON_ASSIGN_OR_RETURN(
      Stmt fill, db.Prepare("INSERT OR REPLACE INTO _sync_sealed(vals, seq) VALUES(?, ?)"));
  RowReader reader(db);
  // Walking backwards, the overlay of a row holds, per column, the value replaced by
  // the earliest later change: that is the value the insert wrote.
  std::map<RowKey, Overlay> overlays;
  scan.Bind(1, sealed);
  for (;;) {
    LIAISON_ASSIGN_OR_RETURN(bool row, scan.Step());
    if (!row) break;
    RowKey key{scan.Text(1), scan.Text(2)};
    const std::string op = scan.Text(3);
    if (op == "I") {
      LIAISON_ASSIGN_OR_RETURN(std::vector<ColumnValue> values, reader.Read(key.first, key.second));
      auto overlay = overlays.find(key);
      if (overlay != overlays.end()) {
        if (values.empty()) {
          values = overlay->second;  // deleted since: the delete recorded the whole row
        } else {
          Apply(values, overlay->second);
        }
        overlays.erase(overlay);  // earlier changes belong to an earlier life of the row
      }
      if (scan.Int(0) <= last) {  // a later insert is sealed by a later step
        fill.Reset();
        fill.Bind(1, std::string_view(ColumnValuesJson(values))).Bind(2, scan.Int(0));
        LIAISON_RETURN_IF_ERROR(fill.Run());
      }
    } else {
      LIAISON_ASSIGN_OR_RETURN(std::vector<ColumnValue> olds, ParseColumnValues(scan.Text(4)));
      Apply(overlays[key], olds);
    }
  }
  LIAISON_ASSIGN_OR_RETURN(Stmt mark, db.Prepare("UPDATE _sync_replica SET sealed_seq = ?"));
  mark.Bind(1, last);
  LIAISON_RETURN_IF_ERROR(mark.Run());
  return txn.Commit();
}

Result<std::vector<LocalChange>> ReadLocalChanges(Db& db, Seq after, std::int64_t limit) {
  LIAISON_RETURN_IF_ERROR(SealChanges(db));
  LIAISON_ASSIGN_OR_RETURN(
      Stmt stmt, db.Prepare("SELECT c.seq, c.hlc, c.tbl, c.pk, c.op, coalesce(c.vals, s.vals), "
                            "c.old FROM _sync_changes c LEFT JOIN _sync_sealed s ON s.seq = "
                            "c.seq WHERE c.seq > ? ORDER BY c.seq LIMIT ?"));
  stmt.Bind(1, after.value()).Bind(2, limit);
  std::vector<LocalChange> out;
  for (;;) {
    LIAISON_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    LocalChange c;
    c.seq = Seq(stmt.Int(0));
    c.hlc = Hlc(static_cast<std::uint64_t>(stmt.Int(1)));
    c.table = stmt.Text(2);
    c.pk = stmt.Text(3);
    c.op = static_cast<ChangeOp>(stmt.Text(4).at(0));
    if (!stmt.IsNull(5)) {
      LIAISON_ASSIGN_OR_RETURN(c.values, ParseColumnValues(stmt.Text(5)));
    }
    if (!stmt.IsNull(6)) {
      LIAISON_ASSIGN_OR_RETURN(c.old_values, ParseColumnValues(stmt.Text(6)));
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace liaison
