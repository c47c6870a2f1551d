// The hub's side of retention: acknowledgements, cleanings and who must re-seed
// (acks.h, liaison/retention.h, HUB.md "Retention").
#include <sqlite3.h>

#include <algorithm>
#include <vector>

#include "hub/acks.h"
#include "hub/hub_tables.h"
#include "liaison/hlc.h"
#include "liaison/replica.h"

namespace liaison::hub_internal {
namespace {

constexpr std::int64_t kDayMs = 24 * 60 * 60 * 1000;
constexpr int kDefaultRetainDays = 90;

// For a replica that never acknowledged: when it was last seen, in Unix ms, in SQL:
// the later of when it was first seen and its office's last sync (ISO 8601 times that
// SQLite wrote), so that an office that synced before the hub knew retention does
// not lapse while it keeps syncing.
constexpr const char* kLastSeenMs =
    "CAST((julianday(max(r.first_seen_at, coalesce(o.last_sync_at, ''))) - 2440587.5) * "
    "86400000 AS INTEGER)";

// Every office replica the hub knows, with its acknowledgement: the last one, or the
// time it was last seen for a replica that never acknowledged (at position zero).
struct KnownReplica {
  std::string replica_id, office_id;
  LogPosition ack;
  std::int64_t last_ms = 0;
  bool acknowledged = false;
  bool retired = false;
};

Result<std::vector<KnownReplica>> KnownReplicas(Db& db) {
  LIAISON_ASSIGN_OR_RETURN(
      Stmt list,
      db.Prepare(std::string("SELECT r.replica_id, r.office_id, coalesce(a.own, 0), "
                             "coalesce(a.received, 0), coalesce(a.acked_ms, ") +
                 kLastSeenMs +
                 "), a.acked_ms IS NOT NULL, a.retired_ms IS NOT NULL FROM _sync_hub_replicas r "
                 "LEFT JOIN _sync_hub_acks a ON a.replica_id = r.replica_id LEFT JOIN "
                 "_sync_hub_offices o ON o.office_id = r.office_id ORDER BY r.replica_id"));
  std::vector<KnownReplica> out;
  for (;;) {
    LIAISON_ASSIGN_OR_RETURN(bool row, list.Step());
    if (!row) break;
    out.push_back(KnownReplica{list.Text(0), list.Text(1), LogPosition{list.Int(2), list.Int(3)},
                               list.Int(4), list.Int(5) != 0, list.Int(6) != 0});
  }
  return out;
}

bool Reaches(const LogPosition& ack, const LogPosition& floor) {
  return ack.own >= floor.own && ack.received >= floor.received;
}

Result<LogPosition> MasterLogHead(Db& db) {
  LIAISON_ASSIGN_OR_RETURN(std::int64_t own,
                           db.QueryInt("SELECT coalesce(max(seq), 0) FROM _sync_changes"));
  LIAISON_ASSIGN_OR_RETURN(std::int64_t received,
                           db.QueryInt("SELECT coalesce(max(pos), 0) FROM _sync_received"));
  return LogPosition{own, received};
}

// Per origin, the highest clock such that every change of that origin at or below it
// lies within `floor`: the highest clock inside, kept below the lowest clock of the
// origin's changes past it (a change relayed out of order, from a bundle).
Result<std::map<std::string, std::uint64_t>> HorizonWithin(Db& db, const std::string& hub_replica,
                                                           const LogPosition& floor) {
  std::map<std::string, std::uint64_t> clocks;
  if (floor.own > 0) {
    LIAISON_ASSIGN_OR_RETURN(
        std::int64_t hlc,
        db.QueryInt("SELECT coalesce((SELECT hlc FROM _sync_changes WHERE seq <= " +
                    std::to_string(floor.own) + " ORDER BY seq DESC LIMIT 1), 0)"));
    if (hlc > 0) clocks[hub_replica] = static_cast<std::uint64_t>(hlc);
  }
  const std::string at = std::to_string(floor.received);
  LIAISON_ASSIGN_OR_RETURN(Stmt inside, db.Prepare("SELECT origin, max(hlc) FROM _sync_received "
                                                   "WHERE pos <= " +
                                                   at + " GROUP BY origin"));
  for (;;) {
    LIAISON_ASSIGN_OR_RETURN(bool row, inside.Step());
    if (!row) break;
    clocks[inside.Text(0)] = static_cast<std::uint64_t>(inside.Int(1));
  }
  LIAISON_ASSIGN_OR_RETURN(Stmt past, db.Prepare("SELECT origin, min(hlc) FROM _sync_received "
                                                 "WHERE pos > " +
                                                 at + " GROUP BY origin"));
  for (;;) {
    LIAISON_ASSIGN_OR_RETURN(bool row, past.Step());
    if (!row) break;
    auto it = clocks.find(past.Text(0));
    const auto lowest_past = static_cast<std::uint64_t>(past.Int(1));
    if (it == clocks.end() || it->second < lowest_past) continue;
    if (lowest_past <= 1) {
      clocks.erase(it);
    } else {
      it->second = lowest_past - 1;
    }
  }
  return clocks;
}

// The tombstones the horizon of cleaning `id` covers, as a condition on _sync_rows.
std::string CoveredTombstones(std::int64_t id) {
  return "deleted = 1 AND epoch_hlc <= (SELECT h.hlc FROM _sync_retention_horizon h WHERE "
         "h.cleaning = " +
         std::to_string(id) + " AND h.origin = _sync_rows.epoch_origin)";
}

}  // namespace

Status RecordAck(Db& db, const std::string& replica_id, const std::string& office,
                 const LogPosition& position, std::int64_t now_ms) {
  LIAISON_ASSIGN_OR_RETURN(
      Stmt upsert,
      db.Prepare("INSERT INTO _sync_hub_acks(replica_id, office_id, own, received, acked_ms) "
                 "VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(replica_id) DO UPDATE SET own = "
                 "max(own, excluded.own), received = max(received, excluded.received), acked_ms "
                 "= excluded.acked_ms"));
  upsert.Bind(1, std::string_view(replica_id))
      .Bind(2, std::string_view(office))
      .Bind(3, position.own)
      .Bind(4, position.received)
      .Bind(5, now_ms);
  return upsert.Run();
}

Status RetireReplica(Db& db, const std::string& replica_id, const std::string& office,
                     std::int64_t now_ms) {
  LIAISON_ASSIGN_OR_RETURN(
      Stmt upsert,
      db.Prepare("INSERT INTO _sync_hub_acks(replica_id, office_id, retired_ms) VALUES(?1, ?2, "
                 "?3) ON CONFLICT(replica_id) DO UPDATE SET retired_ms = excluded.retired_ms"));
  upsert.Bind(1, std::string_view(replica_id)).Bind(2, std::string_view(office)).Bind(3, now_ms);
  return upsert.Run();
}

Result<std::string> ReseedReason(Db& db, const std::string& replica_id, const std::string& office) {
  LIAISON_ASSIGN_OR_RETURN(std::optional<HubCleaning> last, LastHubCleaning(db));
  if (!last) return std::string();
  LIAISON_ASSIGN_OR_RETURN(
      Stmt find, db.Prepare("SELECT coalesce(a.own, 0), coalesce(a.received, 0), a.retired_ms, "
                            "a.acked_ms FROM _sync_hub_replicas r LEFT JOIN _sync_hub_acks a ON "
                            "a.replica_id = r.replica_id WHERE r.replica_id = ?"));
  find.Bind(1, std::string_view(replica_id));
  LIAISON_ASSIGN_OR_RETURN(bool known, find.Step());
  if (!known) return std::string();  // a new replica: it holds nothing it has not pushed
  if (!find.IsNull(2)) {
    return "replica " + replica_id + " of office " + office + " was replaced by a re-seed on " +
           UtcText(find.Int(2)) +
           ": sync the new replica, or run `liaison sync --reseed` to push what this one "
           "still holds";
  }
  // A replica that never acknowledged (its first round was cut, it came in a bundle,
  // or it synced before the hub knew retention) is taken as a new one is: what it
  // pulled it keeps pulling from its cursor, and the guard keeps out any old edit of
  // a row whose tombstone offices cleaned.
  if (find.IsNull(3)) return std::string();
  const LogPosition ack{find.Int(0), find.Int(1)};
  if (Reaches(ack, last->floor)) return std::string();
  return "office " + office + " last pulled hub sequence " + std::to_string(ack.sequence()) +
         ", before the retention horizon of " + UtcText(last->horizon.cleaned_ms) +
         " (hub sequence " + std::to_string(last->floor.sequence()) +
         "); deleted rows it has not seen were cleaned: run `liaison sync --reseed`";
}

Status RetentionGuard::Refresh(Db& db) {
  LIAISON_ASSIGN_OR_RETURN(std::int64_t last,
                           db.QueryInt("SELECT coalesce(max(id), 0) FROM _sync_retention"));
  if (last == cleaning_) return Status::Ok();
  LIAISON_ASSIGN_OR_RETURN(std::optional<HubCleaning> cleaning, LastHubCleaning(db));
  horizon_ = cleaning ? cleaning->horizon : RetentionHorizon{};
  cleaning_ = last;
  return Status::Ok();
}

Result<std::string> RetentionGuard::Check(Db& db, const Change& c) {
  if (horizon_.clocks.empty()) return std::string();
  if (!tombstone_) {
    LIAISON_ASSIGN_OR_RETURN(Stmt stmt, db.Prepare("SELECT epoch_hlc, epoch_origin FROM "
                                                   "_sync_rows WHERE tbl = ? AND pk = ? AND "
                                                   "deleted = 1"));
    tombstone_.emplace(std::move(stmt));
  }
  tombstone_->Reset();
  tombstone_->Bind(1, std::string_view(c.table)).Bind(2, std::string_view(c.pk));
  LIAISON_ASSIGN_OR_RETURN(bool found, tombstone_->Step());
  if (!found) return std::string();
  const Clock deleted{Hlc::FromInt64(tombstone_->Int(0)), ReplicaId(tombstone_->Text(1))};
  tombstone_->Reset();
  // An insert made at or before the delete, or a change of an incarnation it removed
  // (or an earlier one).
  const bool insert = c.op == ChangeOp::kInsert;
  if (!horizon_.Covers(deleted) || (insert ? c.clock() : c.epoch) > deleted) {
    return std::string();
  }
  return "retention: row " + c.table + " " + c.pk + " was deleted at " +
         UtcText(static_cast<std::int64_t>(deleted.hlc.millis())) +
         " and every office had acknowledged it when the hub cleaned; this " + ChangeOpName(c.op) +
         (insert ? " was made before that delete" : " was made on the incarnation it removed") +
         " and would bring the row back: kept aside";
}

Result<std::map<std::string, OfficeRetention>> OfficeRetentionStanding(Db& db,
                                                                       std::int64_t now_ms) {
  LIAISON_ASSIGN_OR_RETURN(std::optional<HubCleaning> last, LastHubCleaning(db));
  const std::int64_t window = (last ? last->retain_days : kDefaultRetainDays) * kDayMs;
  LIAISON_ASSIGN_OR_RETURN(std::vector<KnownReplica> replicas, KnownReplicas(db));
  std::map<std::string, OfficeRetention> out;
  std::map<std::string, LogPosition> best;
  for (const KnownReplica& r : replicas) {
    if (r.retired) continue;
    OfficeRetention& o = out[r.office_id];
    LogPosition& ack = best[r.office_id];
    if (r.ack.sequence() >= ack.sequence()) ack = r.ack;
    o.acknowledged_sequence = std::max(o.acknowledged_sequence, r.ack.sequence());
    if (r.acknowledged) o.acknowledged_ms = std::max(o.acknowledged_ms, r.last_ms);
    const bool recent = r.last_ms >= now_ms - window;
    if (recent || o.standing.empty()) o.standing = recent ? "counted" : "lapsed";
  }
  if (last) {
    for (auto& [office, o] : out) {
      if (!Reaches(best[office], last->floor)) o.standing = "behind the horizon";
    }
  }
  return out;
}

}  // namespace liaison::hub_internal

namespace liaison {

using hub_internal::KnownReplica;

Result<std::optional<HubCleaning>> LastHubCleaning(Db& db) {
  LIAISON_ASSIGN_OR_RETURN(
      std::int64_t exists,
      db.QueryInt("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = "
                  "'_sync_retention'"));
  if (exists == 0) return std::optional<HubCleaning>();
  LIAISON_ASSIGN_OR_RETURN(
      Stmt last, db.Prepare("SELECT id, cleaned_ms, retain_days, head_own, head_received, "
                            "floor_own, floor_received, counted, lapsed, slimmed, covered, "
                            "max_clock FROM _sync_retention ORDER BY id DESC LIMIT 1"));
  LIAISON_ASSIGN_OR_RETURN(bool found, last.Step());
  if (!found) return std::optional<HubCleaning>();
  HubCleaning c;
  c.id = last.Int(0);
  c.horizon.cleaned_ms = last.Int(1);
  c.retain_days = static_cast<int>(last.Int(2));
  c.horizon.position = LogPosition{last.Int(3), last.Int(4)};
  c.floor = LogPosition{last.Int(5), last.Int(6)};
  c.counted = last.Int(7);
  c.lapsed = last.Int(8);
  c.slimmed = last.Int(9);
  c.covered = last.Int(10);
  c.max_clock = static_cast<std::uint64_t>(last.Int(11));
  LIAISON_ASSIGN_OR_RETURN(
      Stmt clocks,
      db.Prepare("SELECT origin, hlc FROM _sync_retention_horizon WHERE cleaning = ?"));
  clocks.Bind(1, c.id);
  for (;;) {
    LIAISON_ASSIGN_OR_RETURN(bool row, clocks.Step());
    if (!row) break;
    c.horizon.clocks[clocks.Text(0)] = static_cast<std::uint64_t>(clocks.Int(1));
  }
  return std::optional<HubCleaning>(std::move(c));
}

Result<HubCleaning> CompactHub(Replica& hub, const CompactOptions& options) {
  if (hub.info().role != Role::kHub) {
    return Status::FailedPrecondition("only the hub's master copy is compacted");
  }
  if (options.retain_days < 1) {
    return Status::InvalidArgument("the retention window must be at least 1 day");
  }
  Db& db = hub.db();
  LIAISON_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db));
  const std::int64_t now =
      options.now_ms > 0 ? options.now_ms : static_cast<std::int64_t>(WallMillis());
  LIAISON_ASSIGN_OR_RETURN(std::optional<HubCleaning> previous, LastHubCleaning(db));
  HubCleaning c;
  c.retain_days = options.retain_days;
  c.horizon.cleaned_ms = now;
  LIAISON_ASSIGN_OR_RETURN(c.horizon.position, hub_internal::MasterLogHead(db));
  // The floor: what every counted office replica has acknowledged.
  c.floor = c.horizon.position;
  LIAISON_ASSIGN_OR_RETURN(std::vector<KnownReplica> replicas, hub_internal::KnownReplicas(db));
  for (const KnownReplica& r : replicas) {
    if (r.retired) continue;
    if (r.last_ms < now - static_cast<std::int64_t>(options.retain_days) * hub_internal::kDayMs) {
      ++c.lapsed;
      c.lapsed_offices.push_back(r.office_id);
      continue;
    }
    ++c.counted;
    c.floor.own = std::min(c.floor.own, r.ack.own);
    c.floor.received = std::min(c.floor.received, r.ack.received);
  }
  LIAISON_ASSIGN_OR_RETURN(c.horizon.clocks,
                           hub_internal::HorizonWithin(db, hub.info().replica_id.value(), c.floor));
  // A horizon never moves back: offices may have cleaned by the last one, and the hub
  // keeps guarding what it covered.
  if (previous) {
    c.floor.own = std::max(c.floor.own, previous->floor.own);
    c.floor.received = std::max(c.floor.received, previous->floor.received);
    for (const auto& [origin, hlc] : previous->horizon.clocks) {
      std::uint64_t& now_hlc = c.horizon.clocks[origin];
      now_hlc = std::max(now_hlc, hlc);
    }
  }
  LIAISON_ASSIGN_OR_RETURN(
      Stmt add, db.Prepare("INSERT INTO _sync_retention(cleaned_ms, retain_days, head_own, "
                           "head_received, floor_own, floor_received, counted, lapsed) "
                           "VALUES(?, ?, ?, ?, ?, ?, ?, ?)"));
  add.Bind(1, now)
      .Bind(2, std::int64_t{options.retain_days})
      .Bind(3, c.horizon.position.own)
      .Bind(4, c.horizon.position.received)
      .Bind(5, c.floor.own)
      .Bind(6, c.floor.received)
      .Bind(7, c.counted)
      .Bind(8, c.lapsed);
  LIAISON_RETURN_IF_ERROR(add.Run());
  c.id = sqlite3_last_insert_rowid(db.raw());
  LIAISON_ASSIGN_OR_RETURN(
      Stmt clock,
      db.Prepare("INSERT INTO _sync_retention_horizon(cleaning, origin, hlc) VALUES(?, ?, ?)"));
  for (const auto& [origin, hlc] : c.horizon.clocks) {
    clock.Reset();
    clock.Bind(1, c.id).Bind(2, std::string_view(origin)).Bind(3, static_cast<std::int64_t>(hlc));
    LIAISON_RETURN_IF_ERROR(clock.Run());
  }
  // The covered tombstones keep the delete's clock, which is all the hub needs to
  // refuse a late change made before it; the column clocks go.
  const std::string covered = hub_internal::CoveredTombstones(c.id);
  LIAISON_ASSIGN_OR_RETURN(c.covered,
                           db.QueryInt("SELECT count(*) FROM _sync_rows WHERE " + covered));
  LIAISON_ASSIGN_OR_RETURN(
      std::int64_t newest,
      db.QueryInt("SELECT coalesce(max(epoch_hlc), 0) FROM _sync_rows WHERE " + covered));
  c.max_clock = static_cast<std::uint64_t>(newest);
  LIAISON_RETURN_IF_ERROR(
      db.Exec("UPDATE _sync_rows SET cols = NULL WHERE cols IS NOT NULL AND " + covered));
  c.slimmed = sqlite3_changes(db.raw());
  LIAISON_ASSIGN_OR_RETURN(
      Stmt counts, db.Prepare("UPDATE _sync_retention SET slimmed = ?, covered = ?, max_clock = ? "
                              "WHERE id = ?"));
  counts.Bind(1, c.slimmed).Bind(2, c.covered).Bind(3, newest).Bind(4, c.id);
  LIAISON_RETURN_IF_ERROR(counts.Run());
  LIAISON_RETURN_IF_ERROR(txn.Commit());
  return c;
}

}  // namespace liaison
