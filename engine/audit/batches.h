// Checking the offices' signed batches while a chain is walked (AUDIT.md, "Signed
// batches"): shared by the walk over the hub's database and the one over an exported
// log. Internal to engine/audit.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "liaison/audit.h"

namespace liaison::audit_internal {

// Every row of `_sync_batches`, oldest first; none when the table does not exist.
Result<std::vector<SignedBatch>> LoadSignedBatches(Db& db);

class BatchChecker {
 public:
  BatchChecker(std::string hub_replica_id, std::vector<SignedBatch> batches);

  // Checks chain entry n against the first signed batch covering its change: the
  // batch's signature, that it signed these very bytes, and that the office the
  // entry names is the one whose certificate signed. Returns what is wrong (empty
  // when nothing is) and counts the change as signed or unsigned in `report`; sets
  // `signed_by` for a signed one. The hub's own changes are not looked at.
  Result<std::string> Check(std::int64_t n, const std::string& office, const Change& change,
                            std::string& signed_by, ChainReport& report);

 private:
  // "" when batch i is good (signature, certificate, digests); else what is wrong.
  const std::string& BatchProblem(std::size_t i);

  std::string hub_replica_id_;
  std::vector<SignedBatch> batches_;
  std::map<std::string, std::vector<std::size_t>> by_origin_;  // in id order
  std::vector<bool> checked_;
  std::vector<std::string> problem_, signer_;
};

}  // namespace liaison::audit_internal
