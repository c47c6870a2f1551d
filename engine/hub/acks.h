// The hub's record of what each office replica has acknowledged, and of its cleanings
// (HUB.md, "Retention"; the cleaning itself is CompactHub in liaison/retention.h).
//
//   _sync_hub_acks             per office replica: the master-log position it last
//                              acknowledged, when, and whether a re-seed retired it
//   _sync_retention            one row per cleaning: when, the window, the head and the
//                              floor of the master log, what it counted and slimmed
//   _sync_retention_horizon    the horizon of each cleaning, one clock per origin
//
// Thread-safety: none; uses the caller's Db. Writes join the caller's transaction
// when one is open.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "liaison/retention.h"
#include "liaison/status.h"
#include "liaison/store.h"
#include "liaison/wire.h"

namespace liaison::hub_internal {


// Records that `replica_id` (of `office`) acknowledged `position` at `now_ms`; an
// acknowledgement never moves back.
Status RecordAck(Db& db, const std::string& replica_id, const std::string& office,
                 const LogPosition& position, std::int64_t now_ms);

// Marks `replica_id` as replaced by a re-seed: it no longer holds the horizon back,
// and is refused (`reseed`) if it syncs again.
Status RetireReplica(Db& db, const std::string& replica_id, const std::string& office,
                     std::int64_t now_ms);

// Why `replica_id` must re-seed before it syncs again (the Refusal's reason), or ""
// when it may sync: a replica the hub has never seen may; a known one may while its
// last acknowledgement reaches the floor of the last cleaning and it is not retired.
Result<std::string> ReseedReason(Db& db, const std::string& replica_id, const std::string& office);

// The guard (HUB.md, "Retention"): keeps out of the master log a pushed change made
// before a delete that the last cleaning's horizon covers, since offices may have
// cleaned that tombstone and would bring the row back.
class RetentionGuard {
 public:
  // Reads the last cleaning's horizon when a cleaning was made since the last call.
  // Call it in the push's transaction, so that the cleaning it sees is the latest.
  Status Refresh(Db& db);
  // Why `change` must be kept aside ("retention: ..."), or "" when it may be merged.
  Result<std::string> Check(Db& db, const Change& change);

 private:
  std::int64_t cleaning_ = 0;  // the id of the cleaning whose horizon is loaded
  RetentionHorizon horizon_;
  std::optional<Stmt> tombstone_;  // the delete's clock of a deleted row
};

// One office's standing for `liaison hub status`, from its live replicas.
struct OfficeRetention {
  std::int64_t acknowledged_sequence = 0;  // the furthest acknowledgement, as a hub sequence
  std::int64_t acknowledged_ms = 0;        // its time; 0: never
  std::string standing;                    // "counted", "lapsed", "behind the horizon"
};

// By office id, as the last cleaning's window and floor judge them (90 days and no
// floor before any cleaning).
Result<std::map<std::string, OfficeRetention>> OfficeRetentionStanding(Db& db, std::int64_t now_ms);

}  // namespace liaison::hub_internal
