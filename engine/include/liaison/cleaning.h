// An office's side of retention (engine/hub/HUB.md, "Retention"): once it has pulled
// up to where the hub stood when it cleaned, CleanReplica removes its tombstones, its
// own change log and its relay log as far as the hub's horizon covers them, keeping
// the newest own entry (the capture clock reads it) and updates still waiting for
// their insert. It records per origin the highest seq it removed (`_sync_cleaned`), so
// that an export whose `--since` does not cover it is refused instead of leaving
// changes out. The hub's side, which computes the horizon, is liaison/retention.h.
//
// Thread-safety: plain values; functions use the caller's Replica or Db.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "liaison/change.h"
#include "liaison/merger.h"
#include "liaison/replica.h"
#include "liaison/status.h"

namespace liaison {

// The clocks a cleaning covers: origin replica -> highest clock (hlc) covered.
struct CleaningHorizon {
  std::map<std::string, std::uint64_t> clocks;

  // True when the write at `clock` is at or below its origin's horizon.
  bool Covers(const Clock& clock) const;
};

// What an office cleaned (CleanReplica).
struct ReplicaCleaning {
  std::int64_t tombstones = 0;
  std::int64_t own_changes = 0;
  std::int64_t received_changes = 0;
  std::int64_t total() const { return tombstones + own_changes + received_changes; }
};

// Cleans an office replica by `horizon`, in one transaction: tombstones whose delete
// it covers; own changes it covers that the hub holds (seq <= `hub_watermark`), but
// never the newest; relayed changes it covers that are not parked. Records per origin
// the highest seq removed (`_sync_cleaned`). REQUIRES: an office replica that has
// pulled up to where the hub stood when it computed the horizon.
Result<ReplicaCleaning> CleanReplica(Replica& office, const CleaningHorizon& horizon,
                                     std::int64_t hub_watermark);

// Per origin, the highest seq this replica removed from its logs (empty: nothing).
Result<VersionVector> CleanedVector(Db& db);

// FailedPrecondition, naming the origin and telling the receiver to re-seed, when a
// receiver that has seen `since` would need changes this replica removed.
Status CheckSinceCoversCleaned(Db& db, const VersionVector& since);

}  // namespace liaison
