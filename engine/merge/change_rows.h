// Internal to the merge module: storing changes in, and reading them back from, the
// change-log tables `_sync_received` (changes of other origins) and
// `_sync_changes` (this replica's own, once prepared).
//
// Thread-safety: none.
#pragma once

#include <optional>
#include <string>

#include "liaison/change.h"
#include "liaison/store.h"

namespace liaison::merge_internal {

class ChangeRows {
 public:
  static Result<ChangeRows> Prepare(Db& db);

  // Records a change from another origin and returns its position (arrival order).
  // REQUIRES: (origin, seq) is not recorded yet (the Merger's dedup decides).
  Result<std::int64_t> Record(const Change& change, std::int64_t own_seq);

  // True when Load returns a Change equal to `change` once it is recorded: an insert
  // that carries no epoch and no column bases (Record keeps neither for an insert).
  // Its values are integers, text or NULL (Merger::Validate refuses REAL values),
  // which the JSON of `vals` carries exactly.
  static bool StoresAsIs(const Change& change);

  // The received change at `pos`.
  Result<Change> Load(std::int64_t pos);

  // Builds a Change from the columns (origin, seq, hlc, tbl, pk, op, vals, epoch_hlc,
  // epoch_origin, bases) of `stmt`, starting at column `first`.
  Result<Change> FromColumns(const Stmt& stmt, int first);

 private:
  ChangeRows(Db& db, Stmt record, Stmt load)
      : db_(&db), record_(std::move(record)), load_(std::move(load)) {}
  Db* db_;
  Stmt record_;
  Stmt load_;
};

}  // namespace liaison::merge_internal
