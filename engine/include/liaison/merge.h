// Merge rules: pure functions that decide what one incoming change does to one row.
// No I/O: the caller loads the row and its metadata, calls Merge, and writes back
// what it returns (engine/merge/applier.cc).
//
// The rules (the full policy, per table, is in engine/merge/POLICY.md):
// - A row's existence is last-writer-wins over its inserts and deletes, by Clock.
//   The winning insert's clock is the row's epoch: it names the incarnation.
// - An update applies only to the incarnation it was made on (its epoch). Within
//   it, each column is last-writer-wins by Clock.
// - A delete beats concurrent updates of the same incarnation; only a later insert
//   (same id) brings the row back. A delete carries the column clocks its writer
//   saw, so that every value it discards unseen is journaled.
// - Every value that loses to a concurrent write, and differs from the winner, is
//   returned as a Conflict for the journal. A conflict is an outcome, not an error.
//
// Thread-safety: pure functions over values.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "liaison/change.h"

namespace liaison {

// What a replica knows about a row beyond its values (`_sync_rows`).
struct RowMeta {
  Clock epoch;     // clock of the winning insert, or of the delete when deleted
  bool deleted = false;
  // Live: columns whose clock is not the epoch. Deleted: the column clocks the
  // deleter saw (the delete's bases).
  std::map<std::string, Clock> columns;
  Clock killed;    // deleted: the incarnation the delete removed

  Clock ColumnClock(const std::string& column) const;
  bool operator==(const RowMeta&) const = default;
};

enum class ConflictReason {
  kConcurrentWrite,   // two writes to one column; the older lost
  kConcurrentInsert,  // two inserts of one id (a set member added twice)
  kDeleted,           // an update lost to a delete of its row
  kStaleIncarnation,  // an update of a row incarnation that was replaced
};
const char* ConflictReasonName(ConflictReason reason);

struct Conflict {
  std::string column;
  Value winner_value;
  Clock winner;
  Value loser_value;
  Clock loser;
  ConflictReason reason = ConflictReason::kConcurrentWrite;
  bool operator==(const Conflict&) const = default;
};

struct MergeOutcome {
  // kPark: an update of an incarnation whose insert has not arrived yet; the
  // applier keeps it and applies it when that insert does.
  enum class Action { kNone, kUpsert, kUpdate, kDelete, kPark };
  Action action = Action::kNone;
  // kUpsert: the whole row (every column the change carried); kUpdate: columns to set.
  // An insert that replaces a live incarnation is a kUpdate of the columns that differ.
  std::vector<ColumnValue> writes;
  RowMeta meta;  // the row's metadata after the change
  std::vector<Conflict> conflicts;
};

// The row as it stands: its metadata (nullopt when never seen) and, when it exists,
// its current values by column.
struct RowState {
  std::optional<RowMeta> meta;
  std::optional<std::map<std::string, Value>> values;
};

MergeOutcome Merge(const RowState& row, const Change& change);

// The metadata after one of this replica's own changes, and the epoch and column
// bases that the change travels with. Used when folding the local change log.
struct OwnChangeFold {
  RowMeta meta;
  Clock epoch;  // updates and deletes: the incarnation changed
  std::vector<std::pair<std::string, Clock>> bases;  // updates and deletes: column, base
};
OwnChangeFold FoldOwnChange(const std::optional<RowMeta>& meta, const Clock& clock, ChangeOp op,
                            const std::vector<std::string>& changed_columns);

}  // namespace liaison
