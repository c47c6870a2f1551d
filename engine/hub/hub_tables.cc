// The hub's metadata tables (hub_tables.h) and the listings of hub.h.
#include "hub/hub_tables.h"

#include "hub/acks.h"
#include "hub/scope.h"
#include "liaison/bundle.h"
#include "liaison/changelog.h"
#include "liaison/json.h"

namespace liaison::hub_internal {
namespace {

constexpr const char* kNow = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

std::string ValuesJson(const Change& c) {
  std::vector<ColumnValue> values;
  for (const auto& cv : c.values) values.push_back(ColumnValue{cv.column, cv.value});
  return ColumnValuesJson(values);
}

}  // namespace

Result<std::string> BindReplica(Db& db, const std::string& replica_id, const std::string& office) {
  LIAISON_ASSIGN_OR_RETURN(
      Stmt bind, db.Prepare(std::string("INSERT OR IGNORE INTO _sync_hub_replicas(replica_id, "
                                        "office_id, first_seen_at) VALUES(?, ?, ") +
                            kNow + ")"));
  bind.Bind(1, std::string_view(replica_id)).Bind(2, std::string_view(office));
  LIAISON_RETURN_IF_ERROR(bind.Run());
  LIAISON_ASSIGN_OR_RETURN(std::optional<std::string> bound, BoundOffice(db, replica_id));
  if (!bound) return Status::Internal("replica binding vanished");
  return *bound;
}

Result<std::optional<std::string>> BoundOffice(Db& db, const std::string& replica_id) {
  LIAISON_ASSIGN_OR_RETURN(
      Stmt owner, db.Prepare("SELECT office_id FROM _sync_hub_replicas WHERE replica_id = ?"));
  owner.Bind(1, std::string_view(replica_id));
  LIAISON_ASSIGN_OR_RETURN(bool row, owner.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(owner.Text(0));
}

Status Quarantine(Db& db, const std::string& office, const Change& c, const std::string& reason) {
  LIAISON_ASSIGN_OR_RETURN(
      Stmt insert,
      db.Prepare(std::string("INSERT INTO _sync_quarantine(received_at, office_id, origin, seq, hlc, "
                             "tbl, pk, op, vals, epoch_hlc, epoch_origin, reason, payload) VALUES(") +
                 kNow + ", ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  LIAISON_ASSIGN_OR_RETURN(std::string payload, EncodeChangePayload(c));
  const char op[2] = {static_cast<char>(c.op), '\0'};
  insert.Bind(1, std::string_view(office))
      .Bind(2, std::string_view(c.origin.value()))
      .Bind(3, c.seq.value())
      .Bind(4, c.hlc.as_int64())
      .Bind(5, std::string_view(c.table))
      .Bind(6, std::string_view(c.pk))
      .Bind(7, std::string_view(op))
      .Bind(8, std::string_view(ValuesJson(c)))
      .Bind(9, c.epoch.hlc.as_int64())
      .Bind(10, std::string_view(c.epoch.origin.value()))
      .Bind(11, std::string_view(reason))
      .BindBlob(12, payload);
  return insert.Run();
}

Status RecordComparison(Db& db, const std::string& office, bool equal, std::int64_t sequence) {
  LIAISON_ASSIGN_OR_RETURN(
      Stmt add, db.Prepare("INSERT OR IGNORE INTO _sync_hub_offices(office_id) VALUES(?)"));
  add.Bind(1, std::string_view(office));
  LIAISON_RETURN_IF_ERROR(add.Run());
  const std::string sql =
      equal ? std::string("UPDATE _sync_hub_offices SET last_equal_at = ") + kNow +
                  ", last_equal_sequence = ?2, last_mismatch = 0 WHERE office_id = ?1"
            : "UPDATE _sync_hub_offices SET last_mismatch = 1 WHERE office_id = ?1";
  LIAISON_ASSIGN_OR_RETURN(Stmt update, db.Prepare(sql));
  update.Bind(1, std::string_view(office));
  if (equal) update.Bind(2, sequence);
  return update.Run();
}

Status RecordSync(Db& db, const std::string& office, const std::string& result,
                  const SyncSummary& summary, std::int64_t skew_ms) {
  LIAISON_ASSIGN_OR_RETURN(
      Stmt upsert,
      db.Prepare(std::string("INSERT INTO _sync_hub_offices(office_id, last_sync_at, last_result, "
                             "pushed, pulled, conflicts, quarantined, skew_ms) VALUES(?1, ") +
                 kNow +
                 ", ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(office_id) DO UPDATE SET last_sync_at = "
                 "excluded.last_sync_at, last_result = excluded.last_result, pushed = "
                 "excluded.pushed, pulled = excluded.pulled, conflicts = excluded.conflicts, "
                 "quarantined = excluded.quarantined, skew_ms = excluded.skew_ms"));
  upsert.Bind(1, std::string_view(office))
      .Bind(2, std::string_view(result))
      .Bind(3, summary.pushed)
      .Bind(4, summary.pulled)
      .Bind(5, summary.conflicts)
      .Bind(6, summary.quarantined)
      .Bind(7, skew_ms);
  return upsert.Run();
}

}  // namespace liaison::hub_internal

namespace liaison {

Result<std::vector<OfficeStatus>> ListOfficeStatus(Replica& hub) {
  Db& db = hub.db();
  LIAISON_ASSIGN_OR_RETURN(
      Stmt list,
      db.Prepare("SELECT o.office_id, coalesce((SELECT group_concat(replica_id, ',') FROM "
                 "_sync_hub_replicas r WHERE r.office_id = o.office_id), ''), "
                 "coalesce(o.last_sync_at, ''), coalesce(o.last_result, ''), "
                 "coalesce(o.last_equal_at, ''), o.last_equal_sequence, o.last_mismatch, "
                 "(SELECT count(*) FROM _sync_quarantine q WHERE q.office_id = o.office_id), "
                 "o.skew_ms FROM _sync_hub_offices o ORDER BY o.office_id"));
  std::vector<OfficeStatus> out;
  for (;;) {
    LIAISON_ASSIGN_OR_RETURN(bool row, list.Step());
    if (!row) break;
    OfficeStatus s;
    s.office_id = list.Text(0);
    s.replica_ids = list.Text(1);
    s.last_sync_at = list.Text(2);
    s.last_result = list.Text(3);
    s.last_equal_at = list.Text(4);
    s.last_equal_sequence = list.Int(5);
    s.last_mismatch = list.Int(6) != 0;
    s.quarantined = list.Int(7);
    s.skew_ms = list.Int(8);
    out.push_back(std::move(s));
  }
  LIAISON_ASSIGN_OR_RETURN(auto standing, hub_internal::OfficeRetentionStanding(
                                              db, static_cast<std::int64_t>(WallMillis())));
  for (OfficeStatus& s : out) {
    auto it = standing.find(s.office_id);
    if (it == standing.end()) continue;
    s.acknowledged_sequence = it->second.acknowledged_sequence;
    if (it->second.acknowledged_ms > 0) {
      s.acknowledged_at = UtcText(it->second.acknowledged_ms);
    }
    s.retention = it->second.standing;
  }
  return out;
}

Result<std::vector<QuarantineEntry>> ListQuarantine(Replica& hub) {
  Db& db = hub.db();
  LIAISON_ASSIGN_OR_RETURN(
      Stmt list, db.Prepare("SELECT id, received_at, office_id, origin, seq, tbl, pk, op, vals, "
                            "reason FROM _sync_quarantine ORDER BY id"));
  std::vector<QuarantineEntry> out;
  for (;;) {
    LIAISON_ASSIGN_OR_RETURN(bool row, list.Step());
    if (!row) break;
    QuarantineEntry e;
    e.id = list.Int(0);
    e.received_at = list.Text(1);
    e.office_id = list.Text(2);
    e.origin = list.Text(3);
    e.seq = list.Int(4);
    e.table = list.Text(5);
    e.pk = list.Text(6);
    const std::string op = list.Text(7);
    e.op = op.empty() ? "" : ChangeOpName(static_cast<ChangeOp>(op[0]));
    e.values_json = list.Text(8);
    e.reason = list.Text(9);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace liaison
