// Chaining a batch the hub has just merged, without reading it back: what the hub's
// door (engine/hub/master_log.h) uses on the push path. Internal to the engine: a
// user of the library chains with ExtendChain (liaison/audit.h).
//
// Thread-safety: DigestExpectedEntries is a pure function of its argument and may run
// on any thread; ExtendChain belongs to the thread that owns the Replica.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "liaison/audit.h"
#include "liaison/merger.h"

namespace liaison::audit_internal {

// The audit entries a batch's changes are expected to become: entries first_n + 1,
// first_n + 2, ... in their order, accepted at accepted_ms under `office`, with the
// digest of each (DigestExpectedEntries fills them in, off the writing thread).
struct ExpectedEntries {
  std::int64_t first_n = 0;
  std::int64_t accepted_ms = 0;
  std::string office;
  const std::vector<Change>* changes = nullptr;
  std::vector<std::string> digests;
};
Status DigestExpectedEntries(ExpectedEntries& expected);

// The number of the chain's last entry (0: none yet).
Result<std::int64_t> LastChainEntry(Db& db);

// The same as ExtendChain(hub), given what a Merger of the caller's transaction just
// recorded: when those are exactly the log's unchained changes and each is stored as
// given, they are chained from memory instead of being read back from the log, and
// each entry `expected` (if given) has the digest of is not worked out again.
Result<std::int64_t> ExtendChain(Replica& hub, const std::vector<RecordedChange>& recorded,
                                 const ExpectedEntries* expected = nullptr);

}  // namespace liaison::audit_internal
