#include "merge/row_store.h"

#include "liaison/json.h"

namespace liaison::merge_internal {

std::string ClocksJson(const std::vector<std::pair<std::string, Clock>>& clocks) {
  JsonWriter w;
  w.BeginObject();
  for (const auto& [column, clock] : clocks) {
    w.Key(column).BeginArray().Int(static_cast<std::int64_t>(clock.hlc)).String(clock.origin).EndArray();
  }
  w.EndObject();
  return w.str();
}

Result<std::vector<std::pair<std::string, Clock>>> ReadClocks(Stmt& stmt, std::string_view json) {
  stmt.Reset();
  stmt.Bind(1, json);
  std::vector<std::pair<std::string, Clock>> out;
  for (;;) {
    auto row = stmt.Step();
    if (!row.ok()) return Status::Corruption("bad column clocks: " + row.status().message());
    if (!row.value()) break;
    out.emplace_back(stmt.Text(0), Clock{static_cast<std::uint64_t>(stmt.Int(1)), stmt.Text(2)});
  }
  stmt.Reset();
  return out;
}

const char* const kClocksSql =
    "SELECT key, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?)";

Result<RowStore> RowStore::Prepare(Db& db) {
  LIAISON_ASSIGN_OR_RETURN(Stmt load, db.Prepare("SELECT epoch_hlc, epoch_origin, deleted, cols, "
                                                 "killed_hlc, killed_origin FROM _sync_rows "
                                                 "WHERE tbl = ? AND pk = ?"));
  LIAISON_ASSIGN_OR_RETURN(
      Stmt save, db.Prepare("INSERT OR REPLACE INTO _sync_rows(tbl, pk, epoch_hlc, epoch_origin, "
                            "deleted, cols, killed_hlc, killed_origin) VALUES(?, ?, ?, ?, ?, ?, ?, ?)"));
  LIAISON_ASSIGN_OR_RETURN(Stmt clocks, db.Prepare(kClocksSql));
  return RowStore(db, std::move(load), std::move(save), std::move(clocks));
}

Result<std::optional<RowMeta>> RowStore::Load(const std::string& table, const std::string& pk) {
  load_.Reset();
  load_.Bind(1, std::string_view(table)).Bind(2, std::string_view(pk));
  LIAISON_ASSIGN_OR_RETURN(bool found, load_.Step());
  if (!found) return std::optional<RowMeta>();
  RowMeta meta;
  meta.epoch = Clock{static_cast<std::uint64_t>(load_.Int(0)), load_.Text(1)};
  meta.deleted = load_.Int(2) != 0;
  std::string cols = load_.IsNull(3) ? std::string() : load_.Text(3);
  if (meta.deleted) meta.killed = Clock{static_cast<std::uint64_t>(load_.Int(4)), load_.Text(5)};
  load_.Reset();
  if (!cols.empty()) {
    LIAISON_ASSIGN_OR_RETURN(auto clocks, ReadClocks(clocks_, cols));
    for (auto& [column, clock] : clocks) meta.columns[column] = std::move(clock);
  }
  return std::optional<RowMeta>(std::move(meta));
}

Status RowStore::Save(const std::string& table, const std::string& pk, const RowMeta& meta) {
  save_.Reset();
  save_.Bind(1, std::string_view(table))
      .Bind(2, std::string_view(pk))
      .Bind(3, static_cast<std::int64_t>(meta.epoch.hlc))
      .Bind(4, std::string_view(meta.epoch.origin))
      .Bind(5, static_cast<std::int64_t>(meta.deleted ? 1 : 0));
  if (meta.columns.empty()) {
    save_.BindNull(6);
  } else {
    std::vector<std::pair<std::string, Clock>> clocks(meta.columns.begin(), meta.columns.end());
    save_.Bind(6, std::string_view(ClocksJson(clocks)));
  }
  if (meta.deleted) {
    save_.Bind(7, static_cast<std::int64_t>(meta.killed.hlc)).Bind(8, std::string_view(meta.killed.origin));
  } else {
    save_.BindNull(7).BindNull(8);
  }
  return save_.Run();
}

}  // namespace liaison::merge_internal
