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
// has pulled up to where the hub stood when it cleaned, cleans its own logs by it
// (CleanReplica, liaison/cleaning.h). The horizon as the hub sends it is
// RetentionHorizon (liaison/retention_horizon.h).
//
// Thread-safety: none; functions use the caller's Replica or Db.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "liaison/cleaning.h"
#include "liaison/replica.h"
#include "liaison/retention_horizon.h"
#include "liaison/status.h"
#include "liaison/wire.h"

namespace liaison {

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
  LogPosition floor;
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

}  // namespace liaison
