// An office's side of retention (liaison/cleaning.h): cleaning its tombstones and logs by
// the hub's horizon, and refusing exports that would need what it cleaned.
#include "liaison/cleaning.h"

#include <sqlite3.h>

namespace liaison {
namespace {

// The horizon as a temporary table `temp._sync_horizon (origin, hlc)`, for joins.
Status LoadHorizon(Db& db, const CleaningHorizon& horizon) {
  LIAISON_RETURN_IF_ERROR(
      db.Exec("CREATE TEMP TABLE IF NOT EXISTS _sync_horizon (origin TEXT PRIMARY KEY NOT NULL, "
              "hlc INTEGER NOT NULL) WITHOUT ROWID; DELETE FROM temp._sync_horizon"));
  LIAISON_ASSIGN_OR_RETURN(Stmt add,
                           db.Prepare("INSERT INTO temp._sync_horizon(origin, hlc) VALUES(?, ?)"));
  for (const auto& [origin, hlc] : horizon.clocks) {
    add.Reset();
    add.Bind(1, std::string_view(origin)).Bind(2, static_cast<std::int64_t>(hlc));
    LIAISON_RETURN_IF_ERROR(add.Run());
  }
  return Status::Ok();
}

// Removes own changes 1..k, where k is the highest seq that the hub holds, the
// horizon covers and sealing and folding have passed, short of the newest entry.
Result<std::int64_t> CleanOwnLog(Db& db, const std::string& self, std::uint64_t horizon,
                                 std::int64_t hub_watermark) {
  LIAISON_ASSIGN_OR_RETURN(
      Stmt last,
      db.Prepare("SELECT seq, hlc FROM _sync_changes WHERE seq <= ?1 AND hlc <= ?2 AND seq < "
                 "(SELECT max(seq) FROM _sync_changes) AND seq <= (SELECT min(sealed_seq, "
                 "folded_seq) FROM _sync_replica) ORDER BY seq DESC LIMIT 1"));
  last.Bind(1, hub_watermark).Bind(2, static_cast<std::int64_t>(horizon));
  LIAISON_ASSIGN_OR_RETURN(bool found, last.Step());
  if (!found) return std::int64_t{0};
  const std::int64_t seq = last.Int(0), hlc = last.Int(1);
  last.Reset();
  const std::string upto = std::to_string(seq);
  LIAISON_RETURN_IF_ERROR(db.Exec("DELETE FROM _sync_sealed WHERE seq <= " + upto));
  LIAISON_RETURN_IF_ERROR(db.Exec("DELETE FROM _sync_changes WHERE seq <= " + upto));
  const std::int64_t removed = sqlite3_changes(db.raw());
  LIAISON_ASSIGN_OR_RETURN(
      Stmt record,
      db.Prepare("INSERT INTO _sync_cleaned(origin, seq, hlc, cleaned_ms) VALUES(?1, ?2, ?3, ?4) "
                 "ON CONFLICT(origin) DO UPDATE SET seq = max(seq, excluded.seq), hlc = max(hlc, "
                 "excluded.hlc), cleaned_ms = excluded.cleaned_ms"));
  record.Bind(1, std::string_view(self))
      .Bind(2, seq)
      .Bind(3, hlc)
      .Bind(4, static_cast<std::int64_t>(WallMillis()));
  LIAISON_RETURN_IF_ERROR(record.Run());
  return removed;
}

}  // namespace

bool CleaningHorizon::Covers(const Clock& clock) const {
  auto it = clocks.find(clock.origin.value());
  return it != clocks.end() && clock.hlc <= Hlc(it->second);
}

Result<ReplicaCleaning> CleanReplica(Replica& office, const CleaningHorizon& horizon,
                                     std::int64_t hub_watermark) {
  if (office.info().role != Role::kOffice) {
    return Status::FailedPrecondition("the hub's master copy is never cleaned");
  }
  Db& db = office.db();
  LIAISON_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db));
  // Every own change sealed (its values kept) and folded into the row metadata first.
  LIAISON_RETURN_IF_ERROR(PrepareLocalLog(db));
  LIAISON_RETURN_IF_ERROR(LoadHorizon(db, horizon));
  ReplicaCleaning out;
  LIAISON_RETURN_IF_ERROR(
      db.Exec("DELETE FROM _sync_rows WHERE deleted = 1 AND epoch_hlc <= (SELECT h.hlc FROM "
              "temp._sync_horizon h WHERE h.origin = _sync_rows.epoch_origin)"));
  out.tombstones = sqlite3_changes(db.raw());
  const std::string self = office.info().replica_id.value();
  if (auto own = horizon.clocks.find(self); own != horizon.clocks.end()) {
    LIAISON_ASSIGN_OR_RETURN(out.own_changes, CleanOwnLog(db, self, own->second, hub_watermark));
  }
  // Relayed changes: what they removed is recorded first, per origin. Updates still
  // waiting for their insert (parked) stay.
  LIAISON_ASSIGN_OR_RETURN(
      Stmt record,
      db.Prepare("INSERT INTO _sync_cleaned(origin, seq, hlc, cleaned_ms) SELECT r.origin, "
                 "max(r.seq), max(r.hlc), ?1 FROM _sync_received r JOIN temp._sync_horizon h ON "
                 "h.origin = r.origin WHERE r.parked = 0 AND r.hlc <= h.hlc GROUP BY r.origin "
                 "ON CONFLICT(origin) DO UPDATE SET seq = max(seq, excluded.seq), hlc = max(hlc, "
                 "excluded.hlc), cleaned_ms = excluded.cleaned_ms"));
  record.Bind(1, static_cast<std::int64_t>(WallMillis()));
  LIAISON_RETURN_IF_ERROR(record.Run());
  LIAISON_RETURN_IF_ERROR(
      db.Exec("DELETE FROM _sync_received WHERE parked = 0 AND hlc <= (SELECT h.hlc FROM "
              "temp._sync_horizon h WHERE h.origin = _sync_received.origin)"));
  out.received_changes = sqlite3_changes(db.raw());
  LIAISON_RETURN_IF_ERROR(db.Exec("DELETE FROM temp._sync_horizon"));
  LIAISON_RETURN_IF_ERROR(txn.Commit());
  return out;
}

Result<VersionVector> CleanedVector(Db& db) {
  VersionVector out;
  LIAISON_ASSIGN_OR_RETURN(
      std::int64_t exists,
      db.QueryInt("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = "
                  "'_sync_cleaned'"));
  if (exists == 0) return out;
  LIAISON_ASSIGN_OR_RETURN(Stmt list, db.Prepare("SELECT origin, seq FROM _sync_cleaned"));
  for (;;) {
    LIAISON_ASSIGN_OR_RETURN(bool row, list.Step());
    if (!row) break;
    out[list.Text(0)] = list.Int(1);
  }
  return out;
}

Status CheckSinceCoversCleaned(Db& db, const VersionVector& since) {
  LIAISON_ASSIGN_OR_RETURN(VersionVector cleaned, CleanedVector(db));
  for (const auto& [origin, seq] : cleaned) {
    auto seen = since.find(origin);
    const std::int64_t have = seen == since.end() ? 0 : seen->second;
    if (have < seq) {
      return Status::FailedPrecondition(
          "this replica has cleaned the changes of replica " + origin + " up to seq " +
          std::to_string(seq) +
          " from its logs (every office had acknowledged them), but the "
          "receiver has seen only up to seq " +
          std::to_string(have) +
          ": nothing was written; re-seed the receiver from the master copy (`liaison sync "
          "--reseed`, or a bundle exported by the hub)");
    }
  }
  return Status::Ok();
}

}  // namespace liaison
