// A change as it travels between replicas: in bundles, over the wire, and in the
// relay log `_sync_received`. It is what a capture trigger recorded, completed with
// what merge needs to be order-free (the row incarnation an update was made on, and
// the clock each updated column had when it was overwritten).
//
// (origin, seq) names a change everywhere; applying it twice is the same as once.
//
// Thread-safety: plain values.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "liaison/changelog.h"
#include "liaison/hlc.h"
#include "liaison/ids.h"
#include "liaison/store.h"

namespace liaison {

// A write's position in the total order merge uses: hybrid logical clock, then
// origin replica id (byte order). The zero Clock sorts before every real one.
struct Clock {
  Hlc hlc;
  ReplicaId origin;

  bool IsZero() const { return hlc == Hlc() && origin.value().empty(); }
  auto operator<=>(const Clock&) const = default;
  bool operator==(const Clock&) const = default;
};

struct ColumnChange {
  std::string column;
  Value value;
  // For updates: the column's clock on the writing replica just before the write.
  // A receiver whose column clock differs holds a value the writer never saw: the
  // two writes were concurrent and the loser goes to the conflict journal.
  std::optional<Clock> base;
  bool operator==(const ColumnChange&) const = default;
};

struct Change {
  ReplicaId origin;  // the replica where the write was made
  Seq seq;
  Hlc hlc;
  std::string table;
  std::string pk;
  ChangeOp op = ChangeOp::kInsert;
  // Updates and deletes: the clock of the insert that created the row incarnation
  // changed.
  Clock epoch;
  // Insert: every column but id. Update: the changed columns. Delete: every column
  // with a NULL value, carrying only its base (what the deleter saw).
  std::vector<ColumnChange> values;

  Clock clock() const { return Clock{hlc, origin}; }
  // "origin:seq", the name of the change in messages.
  std::string name() const { return origin.value() + ":" + seq.ToString(); }
  bool operator==(const Change&) const = default;
};

}  // namespace liaison
