// Retention: cleaning what every office has acknowledged (engine/hub/HUB.md,
// "Retention").
//
// The hub never cleans its master log or its audit chain: the auditors rebuild
// everything from them. What it computes, in `liaison hub compact` (CompactHub), is a
// *horizon*: per origin replica, the highest clock such that every change of that
// origin at or below it lies in the part of the master log that every counted office
// has acknowledged (pulled, and pushed everything it wrote before pulling it). An
// office is counted unless its last acknowledgement is older than the retention
// window (it has *lapsed*) or its replica was re-seeded (retired). The hub then slims
// the tombstones the horizon covers to the delete's clock alone, and from then on
// quarantines any pushed change made on a row incarnation (or, for an insert, at a
// moment) at or before such a delete: no office that cleaned can have it resurrect a
// row. An office that fell behind the horizon is refused (`reseed`) until it re-seeds.
//
// An office receives the horizon at the end of each round (kCapRetention) and, once it
// has pulled up to where the hub stood when it cleaned, CleanReplica removes its
// tombstones, its own change log and its relay log as far as the horizon covers them,
// keeping the newest own entry (the capture clock reads it) and updates still waiting
// for their insert. It records per origin the highest seq it removed, so that an
// export whose `--since` does not cover it is refused instead of leaving changes out.
//
// Thread-safety: none; functions use the caller's Replica or Db.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "liaison/change.h"
#include "liaison/merger.h"
#include "liaison/replica.h"
#include "liaison/status.h"
#include "liaison/wire.h"

namespace liaison {

// A cleaning horizon: origin replica -> highest clock (hlc) covered.
struct RetentionHorizon {
  std::int64_t cleaned_ms = 0;  // when the hub computed it, Unix ms; 0: never
  wire::HubCursor position;     // the master log's head then
  std::map<std::string, std::uint64_t> clocks;

  // True when the write at `clock` is at or below its origin's horizon.
  bool Covers(const Clock& clock) const;
  std::vector<wire::HorizonClock> ToWire() const;
  static RetentionHorizon FromWire(const wire::Retention& retention);
};

struct CompactOptions {
  // An office whose last acknowledgement is older than this many days has lapsed: it
  // no longer holds the horizon back, and is refused once the horizon passes it.
  // Default: 90.
  int retain_days = 90;
  // The time the window is measured from, Unix ms; 0: now (tests set it).
  std::int64_t now_ms = 0;
};

// One cleaning of the hub (a row of `_sync_retention`).
struct HubCleaning {
  std::int64_t id = 0;
  RetentionHorizon horizon;
  // The part of the master log every counted office has acknowledged: an office whose
  // acknowledgement does not reach it is behind the horizon.
  wire::HubCursor floor;
  int retain_days = 0;
  std::int64_t counted = 0;     // office replicas counted
  std::int64_t lapsed = 0;      // office replicas not counted: last acknowledgement too old
  std::int64_t slimmed = 0;     // tombstones slimmed by this cleaning
  std::int64_t covered = 0;     // tombstones the horizon covers in all
  std::uint64_t max_clock = 0;  // the newest delete among them (hlc), 0 if none
  // CompactHub only: the offices of the lapsed replicas, one per replica.
  std::vector<std::string> lapsed_offices;
};

// Computes and records a new horizon (never below the last one), and slims the
// tombstones it covers, in one transaction. REQUIRES: `hub` is a hub replica.
Result<HubCleaning> CompactHub(Replica& hub, const CompactOptions& options = {});

// The hub's last cleaning, if any.
Result<std::optional<HubCleaning>> LastHubCleaning(Db& hub);

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
// pulled up to horizon.position.
Result<ReplicaCleaning> CleanReplica(Replica& office, const RetentionHorizon& horizon,
                                     std::int64_t hub_watermark);

// Per origin, the highest seq this replica removed from its logs (empty: nothing).
Result<VersionVector> CleanedVector(Db& db);

// FailedPrecondition, naming the origin and telling the receiver to re-seed, when a
// receiver that has seen `since` would need changes this replica removed.
Status CheckSinceCoversCleaned(Db& db, const VersionVector& since);

}  // namespace liaison
