#include "merge/row_store.h"

#include "liaison/json.h"

namespace liaison::merge_internal {

std::string ClocksJson(const std::vector<std::pair<std::string, Clock>>& clocks) {
  JsonWriter w;
  w.BeginObject();
  for (const auto& [column, clock] : clocks) {
    w.Key(column).BeginArray().Int(clock.hlc.as_int64()).String(clock.origin.value()).EndArray();
  }
  w.EndObject();
  return w.str();
}

Result<std::vector<std::pair<std::string, Clock>>> ReadClocks(std::string_view json) {
  JsonObjectReader reader(json);
  std::vector<std::pair<std::string, Clock>> out;
  for (;;) {
    auto column = reader.NextKey();
    if (!column.ok()) return column.status().WithContext("bad column clocks");
    if (!*column) return out;
    auto clock = reader.ReadArray();
    if (!clock.ok()) return clock.status().WithContext("bad column clocks");
    std::vector<Value>& parts = *clock;
    if (parts.size() != 2 || !std::holds_alternative<std::int64_t>(parts[0]) ||
        !std::holds_alternative<std::string>(parts[1])) {
      return Status::Corruption("bad column clocks: column " + **column +
                                " holds no [hlc, origin]");
    }
    out.emplace_back(std::move(**column),
                     Clock{Hlc::FromInt64(std::get<std::int64_t>(parts[0])),
                           ReplicaId(std::move(std::get<std::string>(parts[1])))});
  }
}

Result<RowStore> RowStore::Prepare(Db& db) {
  LIAISON_ASSIGN_OR_RETURN(Stmt load, db.Prepare("SELECT epoch_hlc, epoch_origin, deleted, cols, "
                                                 "killed_hlc, killed_origin FROM _sync_rows "
                                                 "WHERE tbl = ? AND pk = ?"));
  LIAISON_ASSIGN_OR_RETURN(
      Stmt save, db.Prepare("INSERT OR REPLACE INTO _sync_rows(tbl, pk, epoch_hlc, epoch_origin, "
                            "deleted, cols, killed_hlc, killed_origin) VALUES(?, ?, ?, ?, ?, ?, ?, ?)"));
  return RowStore(db, std::move(load), std::move(save));
}

Result<std::optional<RowMeta>> RowStore::Load(const std::string& table, const std::string& pk) {
  load_.Reset();
  load_.Bind(1, std::string_view(table)).Bind(2, std::string_view(pk));
  LIAISON_ASSIGN_OR_RETURN(bool found, load_.Step());
  if (!found) return std::optional<RowMeta>();
  RowMeta meta;
  meta.epoch = Clock{Hlc::FromInt64(load_.Int(0)), ReplicaId(load_.Text(1))};
  meta.deleted = load_.Int(2) != 0;
  std::string cols = load_.IsNull(3) ? std::string() : load_.Text(3);
  if (meta.deleted) meta.killed = Clock{Hlc::FromInt64(load_.Int(4)), ReplicaId(load_.Text(5))};
  load_.Reset();
  if (!cols.empty()) {
    LIAISON_ASSIGN_OR_RETURN(auto clocks, ReadClocks(cols));
    for (auto& [column, clock] : clocks) meta.columns[column] = std::move(clock);
  }
  return std::optional<RowMeta>(std::move(meta));
}

Status RowStore::Save(const std::string& table, const std::string& pk, const RowMeta& meta) {
  save_.Reset();
  save_.Bind(1, std::string_view(table))
      .Bind(2, std::string_view(pk))
      .Bind(3, meta.epoch.hlc.as_int64())
      .Bind(4, std::string_view(meta.epoch.origin.value()))
      .Bind(5, static_cast<std::int64_t>(meta.deleted ? 1 : 0));
  if (meta.columns.empty()) {
    save_.BindNull(6);
  } else {
    std::vector<std::pair<std::string, Clock>> clocks(meta.columns.begin(), meta.columns.end());
    save_.Bind(6, std::string_view(ClocksJson(clocks)));
  }
  if (meta.deleted) {
    save_.Bind(7, meta.killed.hlc.as_int64()).Bind(8, std::string_view(meta.killed.origin.value()));
  } else {
    save_.BindNull(7).BindNull(8);
  }
  return save_.Run();
}

}  // namespace liaison::merge_internal
