#include "liaison/merge.h"

namespace liaison {
namespace {

Value ValueOf(const RowState& row, const std::string& column) {
  if (!row.values) return std::monostate{};
  auto it = row.values->find(column);
  return it == row.values->end() ? Value{} : it->second;
}

MergeOutcome MergeInsert(const RowState& row, const Change& change) {
  const Clock k = change.clock();
  MergeOutcome out;
  const bool live = row.meta && !row.meta->deleted && row.values.has_value();
  if (row.meta && k <= row.meta->epoch) {
    out.meta = *row.meta;
    if (k < row.meta->epoch && live) {
      // A concurrent insert of the same id (a set member) that lost.
      for (const auto& cv : change.values) {
        Value current = ValueOf(row, cv.column);
        if (current != cv.value) {
          out.conflicts.push_back({cv.column, current, row.meta->ColumnClock(cv.column), cv.value,
                                   k, ConflictReason::kConcurrentInsert});
        }
      }
    } else if (k < row.meta->epoch && row.meta->deleted && row.meta->killed != k) {
      // Deleted by a writer that never saw this incarnation.
      for (const auto& cv : change.values) {
        if (std::holds_alternative<std::monostate>(cv.value)) continue;
        out.conflicts.push_back(
            {cv.column, std::monostate{}, row.meta->epoch, cv.value, k, ConflictReason::kDeleted});
      }
    }
    return out;
  }
  if (live) {
    // This insert replaces a live incarnation written concurrently.
    for (const auto& cv : change.values) {
      Value current = ValueOf(row, cv.column);
      if (current != cv.value) {
        out.conflicts.push_back({cv.column, cv.value, k, current,
                                 row.meta->ColumnClock(cv.column),
                                 ConflictReason::kConcurrentInsert});
      }
    }
  }
  out.meta = RowMeta{k, false, {}, {}};
  if (live) {
    // Only the columns that differ are written: the row and its indexes stay put.
    for (const auto& cv : change.values) {
      if (ValueOf(row, cv.column) != cv.value) out.writes.push_back({cv.column, cv.value});
    }
    out.action = out.writes.empty() ? MergeOutcome::Action::kNone : MergeOutcome::Action::kUpdate;
    return out;
  }
  out.action = MergeOutcome::Action::kUpsert;
  for (const auto& cv : change.values) out.writes.push_back({cv.column, cv.value});
  return out;
}

MergeOutcome MergeDelete(const RowState& row, const Change& change) {
  const Clock k = change.clock();
  RowMeta tombstone{k, true, {}, change.epoch};
  for (const auto& cv : change.values) {
    if (cv.base) tombstone.columns[cv.column] = *cv.base;
  }
  MergeOutcome out;
  if (!row.meta) {
    out.meta = tombstone;  // a tombstone for a row never seen
    return out;
  }
  out.meta = *row.meta;
  if (k <= row.meta->epoch) return out;  // re-inserted or deleted later
  if (!row.meta->deleted && row.values) {
    out.action = MergeOutcome::Action::kDelete;
    // Values the deleter never saw are journaled.
    for (const auto& [column, value] : *row.values) {
      if (column == "id" || std::holds_alternative<std::monostate>(value)) continue;
      const Clock clock = row.meta->ColumnClock(column);
      auto seen = tombstone.columns.find(column);
      if (row.meta->epoch != change.epoch || seen == tombstone.columns.end() ||
          seen->second < clock) {
        out.conflicts.push_back({column, std::monostate{}, k, value, clock,
                                 ConflictReason::kDeleted});
      }
    }
  }
  out.meta = tombstone;
  return out;
}

MergeOutcome MergeUpdate(const RowState& row, const Change& change) {
  const Clock k = change.clock();
  MergeOutcome out;
  if (!row.meta || change.epoch > row.meta->epoch) {
    if (row.meta) out.meta = *row.meta;
    out.action = MergeOutcome::Action::kPark;
    return out;
  }
  out.meta = *row.meta;
  if (row.meta->deleted) {
    // The incarnation it was made on was deleted: journal what the deleter never saw.
    for (const auto& cv : change.values) {
      auto seen = row.meta->columns.find(cv.column);
      bool unseen = change.epoch != row.meta->killed || seen == row.meta->columns.end() ||
                    seen->second < k;
      if (unseen) {
        out.conflicts.push_back({cv.column, std::monostate{}, row.meta->epoch, cv.value, k,
                                 ConflictReason::kDeleted});
      }
    }
    return out;
  }
  if (change.epoch < row.meta->epoch || !row.values) {
    // The incarnation it was made on was replaced by a later insert.
    for (const auto& cv : change.values) {
      Value current = ValueOf(row, cv.column);
      if (current != cv.value) {
        out.conflicts.push_back({cv.column, current, row.meta->ColumnClock(cv.column), cv.value,
                                 k, ConflictReason::kStaleIncarnation});
      }
    }
    return out;
  }
  for (const auto& cv : change.values) {
    const Clock current_clock = row.meta->ColumnClock(cv.column);
    Value current = ValueOf(row, cv.column);
    if (k > current_clock) {
      out.writes.push_back({cv.column, cv.value});
      out.meta.columns[cv.column] = k;
      if (cv.base != current_clock && current != cv.value) {
        out.conflicts.push_back({cv.column, cv.value, k, current, current_clock,
                                 ConflictReason::kConcurrentWrite});
      }
    } else if (k < current_clock && current != cv.value) {
      out.conflicts.push_back({cv.column, current, current_clock, cv.value, k,
                               ConflictReason::kConcurrentWrite});
    }
  }
  if (!out.writes.empty()) out.action = MergeOutcome::Action::kUpdate;
  return out;
}

}  // namespace

Clock RowMeta::ColumnClock(const std::string& column) const {
  auto it = columns.find(column);
  return it == columns.end() ? epoch : it->second;
}

const char* ConflictReasonName(ConflictReason reason) {
  switch (reason) {
    case ConflictReason::kConcurrentWrite: return "concurrent_write";
    case ConflictReason::kConcurrentInsert: return "concurrent_insert";
    case ConflictReason::kDeleted: return "deleted";
    case ConflictReason::kStaleIncarnation: return "stale_incarnation";
  }
  return "?";
}

MergeOutcome Merge(const RowState& row, const Change& change) {
  switch (change.op) {
    case ChangeOp::kInsert: return MergeInsert(row, change);
    case ChangeOp::kDelete: return MergeDelete(row, change);
    case ChangeOp::kUpdate: return MergeUpdate(row, change);
  }
  return {};
}

OwnChangeFold FoldOwnChange(const std::optional<RowMeta>& meta, const Clock& clock, ChangeOp op,
                            const std::vector<std::string>& changed_columns) {
  OwnChangeFold out;
  switch (op) {
    case ChangeOp::kInsert:
      out.meta = RowMeta{clock, false, {}, {}};
      break;
    case ChangeOp::kDelete: {
      RowMeta before = meta.value_or(RowMeta{});
      out.epoch = before.epoch;
      out.meta = RowMeta{clock, true, {}, before.epoch};
      for (const auto& column : changed_columns) {
        Clock base = before.ColumnClock(column);
        out.bases.emplace_back(column, base);
        out.meta.columns[column] = base;
      }
      break;
    }
    case ChangeOp::kUpdate:
      out.meta = meta.value_or(RowMeta{});
      out.epoch = out.meta.epoch;
      for (const auto& column : changed_columns) {
        out.bases.emplace_back(column, out.meta.ColumnClock(column));
        out.meta.columns[column] = clock;
      }
      break;
  }
  return out;
}

}  // namespace liaison
