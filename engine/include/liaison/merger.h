// Merging changes from other replicas into a replica, and reading a replica's
// changes (its own and those it relays) for another.
//
// Merger applies changes in one transaction: each change is recorded in the relay
// log `_sync_received` under its (origin, seq) — a change seen before is skipped —
// and merged into its row by the pure rules of merge.h, with capture triggers off.
// Values that lose go to the conflict journal `_sync_conflicts`. Commit makes the
// batch durable and advances the replica's clock past every clock it received.
// Destroying a Merger without Commit rolls everything back.
//
// ChangeReader yields the changes a replica knows that are not covered by a given
// version vector, in an order that respects causality (the order they reached this
// replica), so that a receiver never sees an update before what it was based on.
// Opened inside a transaction of the replica's connection, it reads within it;
// otherwise it holds a read transaction of its own until destroyed.
//
// Thread-safety: none; each object belongs to the thread that owns the Replica.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "liaison/change.h"
#include "liaison/log_position.h"
#include "liaison/replica.h"
#include "liaison/status.h"

namespace liaison {

// origin replica id -> highest seq such that every change 1..seq of that origin is known.
using VersionVector = std::map<std::string, std::int64_t>;

// "origin:seq,origin:seq" (sorted by origin) and back.
std::string FormatVersionVector(const VersionVector& v);
Result<VersionVector> ParseVersionVector(std::string_view text);

// What this replica knows: its own last seq and the contiguous prefix of every origin.
Result<VersionVector> KnownVector(Db& db);

// Seals the local log (changelog.h) and folds this replica's own changes into the
// row metadata, giving each update its epoch and column bases; only changes up to seq
// `up_to`, when given (a later call goes on from there). Idempotent.
Status PrepareLocalLog(Db& db, std::int64_t up_to = std::numeric_limits<std::int64_t>::max());

// A change Merger recorded in the relay log, at position `pos`. `stored` points at the
// caller's change when the log holds it exactly as given (ChangeRows::StoresAsIs:
// reading it back yields an equal Change); otherwise it is null and the change must be
// read back from the log. Valid while the caller's changes live.
struct RecordedChange {
  std::int64_t pos = 0;
  const Change* stored = nullptr;
};

struct ApplyStats {
  std::int64_t received = 0;    // changes offered
  std::int64_t applied = 0;     // new changes recorded and merged
  std::int64_t duplicates = 0;  // seen before: skipped
  std::int64_t conflicts = 0;   // journal entries written
  std::int64_t parked = 0;      // updates waiting for their row's insert
};

class Merger {
 public:
  static Result<Merger> Begin(Replica& replica);
  Merger(Merger&&) noexcept;
  Merger& operator=(Merger&&) = delete;
  ~Merger();

  Status Apply(const Change& change);
  // Applies `change` as Apply does, except that a change this replica's schema
  // refuses (a CHECK, NOT NULL, UNIQUE, type or size constraint: Status::kConstraint)
  // leaves nothing behind: SQLite's reason is returned instead, and the change is
  // neither recorded, nor merged, nor known (Skip marks it known). Empty when applied.
  // Any other failure is an error, after which only destroying the Merger is safe.
  // Costs a savepoint around the change: for a caller that must not let one row
  // stop the rest of a batch.
  Result<std::string> ApplyOrRefuse(const Change& change);
  // Checks `change` against this replica's schema (table, columns, no REAL) as Apply
  // would, without recording anything.
  Status Validate(const Change& change);
  // Records (origin, seq) of `change` as known without merging or relaying it: for a
  // change kept aside (the hub's quarantine). Returns false if it was known already.
  Result<bool> Skip(const Change& change);
  Status Commit();
  const ApplyStats& stats() const;
  // From now on, lists what Apply records, for recorded(). For a caller whose changes
  // outlive the Merger (the hub's push); others keep no list.
  void RememberRecorded();
  // Every change recorded in the relay log since RememberRecorded, in position order.
  const std::vector<RecordedChange>& recorded() const;

 private:
  struct State;
  explicit Merger(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

class ChangeReader {
 public:
  // Changes of `replica` not covered by `since` (empty: everything).
  static Result<ChangeReader> Open(Replica& replica, const VersionVector& since);
  // Own changes only, those with seq > `after`.
  // With `up_to`: only those with seq <= up_to, and the log is prepared
  // (PrepareLocalLog) only that far, so that a long log can be read in steps.
  static Result<ChangeReader> OpenOwn(Replica& replica, std::int64_t after,
                                      std::int64_t up_to = std::numeric_limits<std::int64_t>::max());
  // Own and relayed changes past `after`, in the same causal order, passing over
  // (without decoding) relayed changes that came from `skip_origin`.
  static Result<ChangeReader> OpenAfter(Replica& replica, const LogPosition& after,
                                        const std::string& skip_origin = "");
  ChangeReader(ChangeReader&&) noexcept;
  ChangeReader& operator=(ChangeReader&&) = delete;
  ~ChangeReader();

  // The next change, or nullopt at the end.
  Result<std::optional<Change>> Next();
  // Right after the last change Next returned (the starting point before the first).
  const LogPosition& position() const;

 private:
  struct State;
  static Result<ChangeReader> Start(
      Replica& replica, const VersionVector& since, const LogPosition& after, bool own_only,
      std::int64_t own_up_to = std::numeric_limits<std::int64_t>::max());
  explicit ChangeReader(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace liaison
