// The conflict journal as a person sees it: list the values that lost a merge
// (`_sync_conflicts`, written by the Merger; see engine/merge/POLICY.md) and resolve
// each one, either by keeping the value that won or by taking the value that lost.
//
// Taking the loser is an ordinary local write: the value goes into the row through
// the capture triggers, so it becomes a new change of this replica, stamped after
// every clock the replica has seen, and syncs like any other (it beats the winner on
// every replica that holds it). Keeping the winner changes no data. Either way the
// journal entry is marked resolved (`resolved_at`, `resolution`); entries are never
// deleted. The journal is local: resolving here resolves nothing elsewhere.
//
// Tables whose columns change as one unit (capture.h IsWholeRowTable: `scores`) are
// resolved one losing write at a time: every entry of the same row with the same
// losing clock is resolved together, and taking the loser writes all its columns in
// one update.
//
// Resolving runs in one transaction: on any error nothing is written or marked.
// Values are kept in the journal as JSON text (a string, a number or null) and are
// decoded here into Values.
//
// Thread-safety: none; functions use the caller's Db or Replica.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "liaison/change.h"
#include "liaison/changelog.h"
#include "liaison/ids.h"
#include "liaison/replica.h"
#include "liaison/status.h"
#include "liaison/store.h"

namespace liaison {

// The id of one journal entry (`_sync_conflicts.id`), local to its replica.
using ConflictId = StrongId<struct ConflictIdTag, std::int64_t>;

// One side of a conflict: the value and the clock of the write that carried it.
struct ConflictSide {
  Value value;
  Clock clock;
};

struct ConflictEntry {
  ConflictId id;
  std::string detected_at;  // "2026-11-27T08:14:13.123Z" (UTC)
  std::string table;
  std::string pk;  // the row's id
  std::string column;
  std::string reason;  // "concurrent_write", "concurrent_insert", "deleted", "stale_incarnation"
  ConflictSide winner;
  ConflictSide loser;
  std::optional<std::string> resolved_at;  // nullopt while unresolved
  std::optional<std::string> resolution;   // "took_loser" or "kept_winner"
};

struct ConflictFilter {
  bool include_resolved = false;  // Default: false, unresolved entries only
  std::string table;              // Default: empty, every table
};

// Journal entries matching `filter`, oldest first (by id). A `filter.table` that is
// not a replicated table is refused (InvalidArgument).
Result<std::vector<ConflictEntry>> ListConflicts(Db& db, const ConflictFilter& filter = {});

enum class ConflictChoice { kTakeLoser, kKeepWinner };

// "took_loser" or "kept_winner": the value stored in `_sync_conflicts.resolution`.
const char* ResolutionName(ConflictChoice choice);

struct ConflictResolution {
  std::string table;  // the conflict's row
  std::string pk;
  std::vector<ConflictId> resolved;  // the entries marked resolved, `id` first
  std::vector<ColumnValue> written;  // take_loser: the values written into the row
};

// Resolves entry `id` of `replica`'s journal (with its whole-row siblings, above).
// Refused, changing nothing, when:
// - there is no entry `id` (NotFound);
// - it is already resolved (FailedPrecondition);
// - take_loser, and the row no longer exists (FailedPrecondition: keep the winner
//   instead), or the table or a column no longer exists (FailedPrecondition);
// - take_loser on an office replica, and the row belongs to another office, or the
//   value would give it to another office (FailedPrecondition): an office writes
//   only its own rows; the hub writes anything;
// - the written value breaks one of the table's constraints (the SQLite error).
Result<ConflictResolution> ResolveConflict(Replica& replica, ConflictId id, ConflictChoice choice);

}  // namespace liaison
