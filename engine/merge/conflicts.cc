// The conflict journal's reader and resolver (see conflicts.h).
#include "liaison/conflicts.h"

#include <algorithm>

#include "liaison/capture.h"

namespace liaison {
namespace {

// Every column of `_sync_conflicts`, values decoded from their JSON text.
constexpr const char* kSelectEntries =
    "SELECT id, detected_at, tbl, pk, col, reason, json_extract(winner_value, '$'), winner_hlc, "
    "winner_origin, json_extract(loser_value, '$'), loser_hlc, loser_origin, resolved_at, "
    "resolution FROM _sync_conflicts";

std::optional<std::string> OptionalText(const Stmt& stmt, int i) {
  if (stmt.IsNull(i)) return std::nullopt;
  return stmt.Text(i);
}

ConflictEntry ReadEntry(const Stmt& stmt) {
  ConflictEntry e;
  e.id = ConflictId(stmt.Int(0));
  e.detected_at = stmt.Text(1);
  e.table = stmt.Text(2);
  e.pk = stmt.Text(3);
  e.column = stmt.Text(4);
  e.reason = stmt.Text(5);
  e.winner.value = stmt.GetValue(6);
  e.winner.clock = Clock{Hlc::FromInt64(stmt.Int(7)), ReplicaId(stmt.Text(8))};
  e.loser.value = stmt.GetValue(9);
  e.loser.clock = Clock{Hlc::FromInt64(stmt.Int(10)), ReplicaId(stmt.Text(11))};
  e.resolved_at = OptionalText(stmt, 12);
  e.resolution = OptionalText(stmt, 13);
  return e;
}

// Runs a prepared, bound query of kSelectEntries and reads every row.
Result<std::vector<ConflictEntry>> ReadEntries(Stmt& stmt) {
  std::vector<ConflictEntry> out;
  for (;;) {
    LIAISON_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back(ReadEntry(stmt));
  }
  return out;
}

Result<std::optional<TableInfo>> FindTable(Db& db, const std::string& name) {
  LIAISON_ASSIGN_OR_RETURN(std::vector<TableInfo> tables, ReplicatedTables(db));
  for (auto& t : tables) {
    if (t.name == name) return std::optional<TableInfo>(std::move(t));
  }
  return std::optional<TableInfo>();
}

std::string Describe(const ConflictEntry& e) {
  return "conflict " + std::to_string(e.id.value()) + " (" + e.table + " " + e.pk + " " + e.column +
         ")";
}

// The entries resolved together with `first`: for whole-row tables every unresolved
// entry of the same losing write (same row, same losing clock), else `first` alone.
Result<std::vector<ConflictEntry>> EntriesOfTheSameWrite(Db& db, const ConflictEntry& first) {
  std::vector<ConflictEntry> group{first};
  if (!IsWholeRowTable(first.table)) return group;
  LIAISON_ASSIGN_OR_RETURN(
      Stmt stmt, db.Prepare(std::string(kSelectEntries) +
                            " WHERE tbl = ? AND pk = ? AND loser_hlc = ? AND loser_origin = ? "
                            "AND resolved_at IS NULL AND id <> ? ORDER BY id"));
  stmt.Bind(1, std::string_view(first.table))
      .Bind(2, std::string_view(first.pk))
      .Bind(3, first.loser.clock.hlc.as_int64())
      .Bind(4, std::string_view(first.loser.clock.origin.value()))
      .Bind(5, first.id.value());
  LIAISON_ASSIGN_OR_RETURN(std::vector<ConflictEntry> siblings, ReadEntries(stmt));
  for (auto& s : siblings) group.push_back(std::move(s));
  return group;
}

// The losing values of `group`, one per column, in the order of the table's columns.
// One write has one value per column: a repeated entry is resolved, not written twice.
std::vector<ColumnValue> LoserValues(const TableInfo& table,
                                     const std::vector<ConflictEntry>& group) {
  std::vector<ColumnValue> out;
  for (const auto& column : table.ValueColumns()) {
    auto it = std::find_if(group.begin(), group.end(),
                           [&](const ConflictEntry& e) { return e.column == column; });
    if (it != group.end()) out.push_back({column, it->loser.value});
  }
  return out;
}

// Writes the losing values of `group` into their row, through the capture triggers.
Result<std::vector<ColumnValue>> TakeLoser(Replica& replica,
                                           const std::vector<ConflictEntry>& group) {
  Db& db = replica.db();
  const ConflictEntry& e = group.front();
  LIAISON_ASSIGN_OR_RETURN(std::optional<TableInfo> table, FindTable(db, e.table));
  if (!table) {
    return Status::FailedPrecondition(Describe(e) + ": table " + e.table + " no longer exists");
  }
  for (const auto& g : group) {
    if (g.column == "id" || !table->HasColumn(g.column)) {
      return Status::FailedPrecondition(Describe(g) + ": column " + g.column + " of " + e.table +
                                        " no longer exists");
    }
  }
  const std::string t = QuoteIdent(e.table);
  LIAISON_ASSIGN_OR_RETURN(Stmt owner_of, db.Prepare("SELECT owner FROM " + t + " WHERE id = ?"));
  owner_of.Bind(1, std::string_view(e.pk));
  LIAISON_ASSIGN_OR_RETURN(bool exists, owner_of.Step());
  if (!exists) {
    return Status::FailedPrecondition(Describe(e) + ": row " + e.pk + " of " + e.table +
                                      " no longer exists; keep the winner instead");
  }
  std::vector<ColumnValue> values = LoserValues(*table, group);
  const ReplicaInfo& info = replica.info();
  if (info.role != Role::kHub) {
    const std::string& office = info.office_id.value();
    const std::string owner = owner_of.Text(0);
    std::string new_owner = owner;
    for (const auto& cv : values) {
      if (cv.column == "owner") new_owner = ValueToText(cv.value);
    }
    if (owner != office) {
      return Status::FailedPrecondition(Describe(e) + ": row " + e.pk + " of " + e.table +
                                        " belongs to office " + owner +
                                        ": only that office or the hub may change it");
    }
    if (new_owner != office) {
      return Status::FailedPrecondition(Describe(e) + ": the losing value would give row " + e.pk +
                                        " to office " + new_owner +
                                        ": only the hub may move a row to another office");
    }
  }
  owner_of.Reset();
  std::string sets;
  for (const auto& cv : values) {
    sets += (sets.empty() ? "" : ", ") + QuoteIdent(cv.column) + " = ?";
  }
  LIAISON_ASSIGN_OR_RETURN(Stmt update,
                           db.Prepare("UPDATE " + t + " SET " + sets + " WHERE id = ?"));
  int i = 1;
  for (const auto& cv : values) update.Bind(i++, cv.value);
  update.Bind(i, std::string_view(e.pk));
  LIAISON_RETURN_IF_ERROR(update.Run().WithContext(Describe(e) + ": write the losing value"));
  return values;
}

}  // namespace

const char* ResolutionName(ConflictChoice choice) {
  return choice == ConflictChoice::kTakeLoser ? "took_loser" : "kept_winner";
}

Result<std::vector<ConflictEntry>> ListConflicts(Db& db, const ConflictFilter& filter) {
  if (!filter.table.empty()) {
    LIAISON_ASSIGN_OR_RETURN(std::optional<TableInfo> table, FindTable(db, filter.table));
    if (!table) return Status::InvalidArgument("unknown table '" + filter.table + "'");
  }
  std::string sql = kSelectEntries;
  std::vector<std::string> where;
  if (!filter.include_resolved) where.push_back("resolved_at IS NULL");
  if (!filter.table.empty()) where.push_back("tbl = ?");
  for (std::size_t i = 0; i < where.size(); ++i) sql += (i == 0 ? " WHERE " : " AND ") + where[i];
  sql += " ORDER BY id";
  LIAISON_ASSIGN_OR_RETURN(Stmt stmt, db.Prepare(sql));
  if (!filter.table.empty()) stmt.Bind(1, std::string_view(filter.table));
  return ReadEntries(stmt);
}

Result<ConflictResolution> ResolveConflict(Replica& replica, ConflictId id, ConflictChoice choice) {
  Db& db = replica.db();
  LIAISON_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db));
  LIAISON_ASSIGN_OR_RETURN(Stmt find, db.Prepare(std::string(kSelectEntries) + " WHERE id = ?"));
  find.Bind(1, id.value());
  LIAISON_ASSIGN_OR_RETURN(std::vector<ConflictEntry> found, ReadEntries(find));
  if (found.empty()) return Status::NotFound("no conflict " + std::to_string(id.value()));
  const ConflictEntry& entry = found.front();
  if (entry.resolved_at) {
    return Status::FailedPrecondition("conflict " + std::to_string(id.value()) +
                                      " is already resolved (" + entry.resolution.value_or("?") +
                                      " at " + *entry.resolved_at + ")");
  }
  LIAISON_ASSIGN_OR_RETURN(std::vector<ConflictEntry> group, EntriesOfTheSameWrite(db, entry));

  ConflictResolution result{entry.table, entry.pk, {}, {}};
  if (choice == ConflictChoice::kTakeLoser) {
    LIAISON_ASSIGN_OR_RETURN(result.written, TakeLoser(replica, group));
  }
  LIAISON_ASSIGN_OR_RETURN(
      Stmt mark,
      db.Prepare("UPDATE _sync_conflicts SET resolved_at = strftime('%Y-%m-%dT%H:%M:%fZ', "
                 "'now'), resolution = ? WHERE id = ? AND resolved_at IS NULL"));
  for (const auto& e : group) {
    mark.Reset();
    mark.Bind(1, std::string_view(ResolutionName(choice))).Bind(2, e.id.value());
    LIAISON_RETURN_IF_ERROR(mark.Run());
    result.resolved.push_back(e.id);
  }
  LIAISON_RETURN_IF_ERROR(txn.Commit());
  return result;
}

}  // namespace liaison
