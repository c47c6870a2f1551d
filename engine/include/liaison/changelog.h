// The local change log: this replica's own changes, as the capture triggers wrote
// them into `_sync_changes`. Format: engine/capture/CHANGELOG.md.
//
// Inserts are logged without their values, to keep capture cheap (the row itself
// holds them); SealChanges later fills in each insert's values as they were when
// inserted, using the old values that later updates and deletes recorded. Every
// reader seals first, so readers always see complete entries.
//
// Thread-safety: none; functions use the caller's Db.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "liaison/hlc.h"
#include "liaison/ids.h"
#include "liaison/status.h"
#include "liaison/store.h"

namespace liaison {

enum class ChangeOp : char { kInsert = 'I', kUpdate = 'U', kDelete = 'D' };

const char* ChangeOpName(ChangeOp op);  // "insert", "update", "delete"

struct ColumnValue {
  std::string column;
  Value value;
  bool operator==(const ColumnValue&) const = default;
};

struct LocalChange {
  Seq seq;
  Hlc hlc;
  std::string table;
  std::string pk;
  ChangeOp op = ChangeOp::kInsert;
  std::vector<ColumnValue> values;      // new values: all columns (insert), changed (update)
  std::vector<ColumnValue> old_values;  // replaced values: changed (update), all (delete)
};

// Fills in the values of inserts logged since the last seal, up to seq `up_to`, in one
// transaction. Sealing in steps gives the same values as sealing at once: each insert
// still takes its values from the row and every later change of it.
Status SealChanges(Db& db, std::int64_t up_to = std::numeric_limits<std::int64_t>::max());

// Lists in the temporary table `temp._sync_touched (tbl, pk)` the rows that own
// changes with seq > `after` updated or deleted: the rows whose inserts cannot be
// sealed or folded in bulk.
Status CollectTouchedRows(Db& db, std::int64_t after);

// Own changes with seq > `after`, at most `limit`, in seq order. Seals first.
Result<std::vector<LocalChange>> ReadLocalChanges(Db& db, Seq after, std::int64_t limit);

// Parses a JSON object of column values written by the triggers or by SealChanges
// (JsonObjectReader, liaison/json.h). Values are null, integers and strings; anything
// else, a real or an integer beyond int64 included, is Status::Corruption.
Result<std::vector<ColumnValue>> ParseColumnValues(std::string_view json);

// Encodes column values as the log's JSON object, in the order given.
std::string ColumnValuesJson(const std::vector<ColumnValue>& values);

}  // namespace liaison
