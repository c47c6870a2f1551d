// Checking the hub's signed checkpoints and the offices' signed batches while a chain
// is walked (AUDIT.md, "Checkpoints" and "Signed batches"): shared by the walk over the
// hub's database and the one over an exported log. Internal to engine/audit.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "liaison/audit.h"

namespace liaison::audit_internal {

// Every row of `_sync_checkpoints`, by n; none when the table does not exist.
Result<std::vector<Checkpoint>> LoadCheckpoints(Db& db);

class CheckpointChecker {
 public:
  // `ca_der`, when not empty, must have issued every checkpoint's certificate.
  explicit CheckpointChecker(std::vector<Checkpoint> checkpoints, std::string ca_der = {});

  // What is wrong with the checkpoints signed at entry n, given the chain's head
  // there (empty when nothing is); counts the good ones in `report`.
  std::string Check(std::int64_t n, std::string_view head, ChainReport& report) const;
  // What is wrong once the chain ended after `entries`: a checkpoint signed past it.
  std::string AfterEnd(std::int64_t entries) const;

 private:
  std::multimap<std::int64_t, Checkpoint> by_n_;
  std::string ca_der_;
};

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
  // `entry` is entry n's bytes (AUDIT.md): the change's own bytes are its tail.
  Result<std::string> Check(std::int64_t n, const std::string& office, const Change& change,
                            std::string_view entry, std::string& signed_by, ChainReport& report);

 private:
  // "" when batch i is good (signature, certificate, digests); else what is wrong.
  const std::string& BatchProblem(std::size_t i);

  std::string hub_replica_id_;
  std::vector<SignedBatch> batches_;
  std::map<std::string, std::vector<std::size_t>> by_origin_;  // in id order
  // Per origin, the batch that covered its last change: the next is most often there.
  std::map<std::string, std::size_t> last_cover_;
  std::vector<bool> checked_;
  std::vector<std::string> problem_, signer_;
};

}  // namespace liaison::audit_internal
