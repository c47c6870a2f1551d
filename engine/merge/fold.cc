// PrepareLocalLog and the version-vector helpers.
#include <algorithm>
#include <charconv>

#include "liaison/changelog.h"
#include "liaison/json.h"
#include "liaison/merger.h"
#include "merge/row_store.h"

namespace liaison {

using merge_internal::ClocksJson;
using merge_internal::RowStore;

std::string FormatVersionVector(const VersionVector& v) {
  std::string out;
  for (const auto& [origin, seq] : v) {
    if (!out.empty()) out += ',';
    out += origin + ':' + std::to_string(seq);
  }
  return out;
}

Result<VersionVector> ParseVersionVector(std::string_view text) {
  VersionVector v;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    size_t colon = item.rfind(':');
    std::int64_t seq = -1;
    if (colon == std::string_view::npos || colon == 0) {
      return Status::InvalidArgument("bad version vector item '" + std::string(item) +
                                     "': use origin:seq");
    }
    auto digits = item.substr(colon + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
    if (ec != std::errc() || end != digits.data() + digits.size() || seq < 0) {
      return Status::InvalidArgument("bad sequence number in version vector item '" +
                                     std::string(item) + "'");
    }
    v[std::string(item.substr(0, colon))] = seq;
  }
  return v;
}

Result<VersionVector> KnownVector(Db& db) {
  VersionVector v;
  LIAISON_ASSIGN_OR_RETURN(
      Stmt own, db.Prepare("SELECT replica_id, (SELECT coalesce(max(seq), 0) FROM _sync_changes) "
                           "FROM _sync_replica"));
  LIAISON_ASSIGN_OR_RETURN(bool row, own.Step());
  if (row && own.Int(1) > 0) v[own.Text(0)] = own.Int(1);
  LIAISON_ASSIGN_OR_RETURN(Stmt others,
                           db.Prepare("SELECT origin, contiguous_seq FROM _sync_origins"));
  for (;;) {
    LIAISON_ASSIGN_OR_RETURN(bool more, others.Step());
    if (!more) break;
    if (others.Int(1) > 0) v[others.Text(0)] = others.Int(1);
  }
  return v;
}

Status PrepareLocalLog(Db& db, std::int64_t up_to) {
  LIAISON_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginOrJoin(db));
  LIAISON_RETURN_IF_ERROR(SealChanges(db, up_to));
  LIAISON_ASSIGN_OR_RETURN(Stmt who, db.Prepare("SELECT replica_id, folded_seq FROM _sync_replica"));
  LIAISON_ASSIGN_OR_RETURN(bool found, who.Step());
  if (!found) return Status::Corruption("replica identity is missing");
  const ReplicaId self(who.Text(0));
  const std::int64_t folded = who.Int(1);
  who.Reset();
  LIAISON_ASSIGN_OR_RETURN(std::int64_t last,
                           db.QueryInt("SELECT coalesce(max(seq), 0) FROM _sync_changes"));
  last = std::min(last, up_to);
  if (last <= folded) return txn.Commit();

  LIAISON_ASSIGN_OR_RETURN(RowStore rows, RowStore::Prepare(db));
  // Inserts of rows nothing else touched in the window fold in one statement.
  LIAISON_RETURN_IF_ERROR(CollectTouchedRows(db, folded));
  LIAISON_ASSIGN_OR_RETURN(
      Stmt bulk,
      db.Prepare("INSERT OR REPLACE INTO _sync_rows(tbl, pk, epoch_hlc, epoch_origin, deleted) "
                 "SELECT tbl, pk, hlc, ?, 0 FROM _sync_changes c WHERE seq > ? AND seq <= ? AND "
                 "op = 'I' AND "
                 "NOT EXISTS (SELECT 1 FROM temp._sync_touched t WHERE t.tbl = c.tbl AND t.pk = "
                 "c.pk) ORDER BY seq"));
  bulk.Bind(1, std::string_view(self.value())).Bind(2, folded).Bind(3, last);
  LIAISON_RETURN_IF_ERROR(bulk.Run());
  LIAISON_ASSIGN_OR_RETURN(
      Stmt scan, db.Prepare("SELECT c.seq, c.hlc, c.tbl, c.pk, c.op, CASE c.op WHEN 'D' THEN "
                            "c.old ELSE c.vals END FROM _sync_changes c JOIN temp._sync_touched "
                            "t ON t.tbl = c.tbl AND t.pk = c.pk WHERE c.seq > ? AND c.seq <= ? ORDER BY c.seq"));
  LIAISON_ASSIGN_OR_RETURN(
      Stmt stamp, db.Prepare("UPDATE _sync_changes SET epoch_hlc = ?, epoch_origin = ?, bases = ? "
                             "WHERE seq = ?"));
  scan.Bind(1, folded).Bind(2, last);
  for (;;) {
    LIAISON_ASSIGN_OR_RETURN(bool row, scan.Step());
    if (!row) break;
    const std::string table = scan.Text(2), pk = scan.Text(3);
    const auto op = static_cast<ChangeOp>(scan.Text(4).at(0));
    std::vector<std::string> changed;
    if (op != ChangeOp::kInsert) {
      const std::string json = scan.Text(5);
      JsonObjectReader reader(json);
      for (;;) {
        auto column = reader.NextKey();
        if (!column.ok()) return column.status().WithContext("bad change values");
        if (!*column) break;
        LIAISON_RETURN_IF_ERROR(reader.ReadValue().status().WithContext("bad change values"));
        changed.push_back(std::move(**column));
      }
    }
    LIAISON_ASSIGN_OR_RETURN(std::optional<RowMeta> meta, rows.Load(table, pk));
    OwnChangeFold fold = FoldOwnChange(meta, Clock{Hlc::FromInt64(scan.Int(1)), self}, op, changed);
    LIAISON_RETURN_IF_ERROR(rows.Save(table, pk, fold.meta));
    if (op != ChangeOp::kInsert) {
      stamp.Reset();
      stamp.Bind(1, fold.epoch.hlc.as_int64())
          .Bind(2, std::string_view(fold.epoch.origin.value()))
          .Bind(3, std::string_view(ClocksJson(fold.bases)))
          .Bind(4, scan.Int(0));
      LIAISON_RETURN_IF_ERROR(stamp.Run());
    }
  }
  LIAISON_ASSIGN_OR_RETURN(Stmt mark, db.Prepare("UPDATE _sync_replica SET folded_seq = ?"));
  mark.Bind(1, last);
  LIAISON_RETURN_IF_ERROR(mark.Run());
  return txn.Commit();
}

}  // namespace liaison
