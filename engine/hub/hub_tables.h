// The hub's own metadata tables (HUB.md, "Tables"): replica bindings, per-office sync
// status, quarantine, and the scope of deleted rows.
//
// Thread-safety: none; uses the caller's Db. Writes join the caller's transaction
// when one is open.
#pragma once

#include <optional>
#include <string>

#include "liaison/change.h"
#include "liaison/hub.h"
#include "liaison/status.h"
#include "liaison/store.h"

namespace liaison::hub_internal {


// The office `replica_id` belongs to: bound to `office` now if it was unknown.
Result<std::string> BindReplica(Db& db, const std::string& replica_id, const std::string& office);
// The office `replica_id` is bound to, if any; binds nothing.
Result<std::optional<std::string>> BoundOffice(Db& db, const std::string& replica_id);

// Keeps `change` whole in `_sync_quarantine` with the reason it was refused.
Status Quarantine(Db& db, const std::string& office, const Change& change,
                  const std::string& reason);

// Records the result of a digest comparison for `office` at master-log `sequence`.
Status RecordComparison(Db& db, const std::string& office, bool equal, std::int64_t sequence);

// Records the end of a sync round.
Status RecordSync(Db& db, const std::string& office, const std::string& result,
                  const SyncSummary& summary, std::int64_t skew_ms);

}  // namespace liaison::hub_internal
