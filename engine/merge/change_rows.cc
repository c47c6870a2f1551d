#include "merge/change_rows.h"

#include <algorithm>
#include <map>

#include "liaison/changelog.h"
#include "liaison/json.h"
#include "merge/row_store.h"

namespace liaison::merge_internal {

Result<ChangeRows> ChangeRows::Prepare(Db& db) {
  LIAISON_ASSIGN_OR_RETURN(
      Stmt record,
      db.Prepare("INSERT INTO _sync_received(origin, seq, hlc, tbl, pk, op, vals, "
                 "epoch_hlc, epoch_origin, bases, own_seq) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  LIAISON_ASSIGN_OR_RETURN(
      Stmt load, db.Prepare("SELECT origin, seq, hlc, tbl, pk, op, vals, epoch_hlc, epoch_origin, "
                            "bases FROM _sync_received WHERE pos = ?"));
  return ChangeRows(db, std::move(record), std::move(load));
}

Result<std::int64_t> ChangeRows::Record(const Change& c, std::int64_t own_seq) {
  record_.Reset();
  // The values as ColumnValuesJson writes them, without copying them first.
  std::string vals;
  if (c.op != ChangeOp::kDelete) {
    JsonWriter w;
    w.BeginObject();
    for (const auto& cv : c.values) w.Key(cv.column).Val(cv.value);
    w.EndObject();
    vals = w.str();
  }
  std::vector<std::pair<std::string, Clock>> bases;
  if (c.op != ChangeOp::kInsert) {
    for (const auto& cv : c.values) {
      if (cv.base) bases.emplace_back(cv.column, *cv.base);
    }
  }
  // `c` and `vals` outlive the statement's run.
  record_.BindUncopied(1, std::string_view(c.origin.value()))
      .Bind(2, c.seq.value())
      .Bind(3, c.hlc.as_int64())
      .BindUncopied(4, std::string_view(c.table))
      .BindUncopied(5, std::string_view(c.pk))
      .Bind(6, std::string_view(std::string(1, static_cast<char>(c.op))));
  if (c.op == ChangeOp::kDelete) {
    record_.BindNull(7);
  } else {
    record_.BindUncopied(7, std::string_view(vals));
  }
  if (c.op != ChangeOp::kInsert) {
    record_.Bind(8, c.epoch.hlc.as_int64())
        .Bind(9, std::string_view(c.epoch.origin.value()))
        .Bind(10, std::string_view(ClocksJson(bases)));
  } else {
    record_.BindNull(8).BindNull(9).BindNull(10);
  }
  record_.Bind(11, own_seq);
  LIAISON_RETURN_IF_ERROR(record_.Run());
  return sqlite3_last_insert_rowid(db_->raw());
}

bool ChangeRows::StoresAsIs(const Change& c) {
  if (c.op != ChangeOp::kInsert || !c.epoch.IsZero()) return false;
  return std::all_of(c.values.begin(), c.values.end(), [](const ColumnChange& cv) {
    return !cv.base && !std::holds_alternative<double>(cv.value);
  });
}

Result<Change> ChangeRows::Load(std::int64_t pos) {
  load_.Reset();
  load_.Bind(1, pos);
  LIAISON_ASSIGN_OR_RETURN(bool found, load_.Step());
  if (!found) return Status::NotFound("no received change at " + std::to_string(pos));
  auto change = FromColumns(load_, 0);
  load_.Reset();
  return change;
}

Result<Change> ChangeRows::FromColumns(const Stmt& stmt, int f) {
  Change c;
  c.origin = ReplicaId(stmt.Text(f));
  c.seq = Seq(stmt.Int(f + 1));
  c.hlc = Hlc::FromInt64(stmt.Int(f + 2));
  c.table = stmt.Text(f + 3);
  c.pk = stmt.Text(f + 4);
  const std::string op = stmt.Text(f + 5);
  if (op != "I" && op != "U" && op != "D") return Status::Corruption("bad op '" + op + "'");
  c.op = static_cast<ChangeOp>(op[0]);
  if (!stmt.IsNull(f + 6)) {
    // A real is returned as a double, for Merger::Validate to refuse.
    const std::string json = stmt.Text(f + 6);
    JsonObjectReader reader(json);
    for (;;) {
      auto column = reader.NextKey();
      if (!column.ok()) return column.status().WithContext("bad change values");
      if (!*column) break;
      auto value = reader.ReadValue();
      if (!value.ok()) return value.status().WithContext("bad change values");
      c.values.push_back({std::move(**column), std::move(*value), std::nullopt});
    }
  }
  if (c.op != ChangeOp::kInsert) {
    c.epoch = Clock{Hlc::FromInt64(stmt.Int(f + 7)), ReplicaId(stmt.Text(f + 8))};
    if (!stmt.IsNull(f + 9)) {
      LIAISON_ASSIGN_OR_RETURN(auto clock_list, ReadClocks(stmt.Text(f + 9)));
      std::map<std::string, Clock> bases(clock_list.begin(), clock_list.end());
      if (c.op == ChangeOp::kDelete) {
        for (auto& [column, base] : bases) c.values.push_back({column, std::monostate{}, base});
      } else {
        for (auto& cv : c.values) {
          auto it = bases.find(cv.column);
          if (it != bases.end()) cv.base = it->second;
        }
      }
    }
  }
  return c;
}

}  // namespace liaison::merge_internal
