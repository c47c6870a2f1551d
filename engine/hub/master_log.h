// MasterLog: the one door into the master copy (HUB.md, "The door").
//
// Every change the hub admits passes through here, whatever brought it: an office's
// push (HubSession), an office's bundle imported at the hub (Hub::ImportBundle), and
// the city office's own edits, which the capture triggers log in the master copy and
// ChainOwnEdits chains. Nothing else writes the master log, the audit chain or the
// relay log of a hub. The rules, in this order:
//
//   1. identity: the writing office is an office of `offices`, not the hub's own, and
//      the replica is bound to it (Identify; a new replica is bound to it);
//   2. signature: the batch's office signed it (checked by the caller as the batch
//      arrives, and kept at Seal); required from offices unless allowed unsigned;
//   3. retention guard: not made before a delete whose tombstone offices cleaned;
//   4. scope: an office writes only rows it owns, and leaves them owned by it; the
//      hub writes anything;
//   5. clock: not further ahead of the hub's clock than the limit;
//   6. schema fit: the table and columns exist, no REAL, and SQLite's constraints
//      (CHECK, NOT NULL, UNIQUE, size) hold;
//   7. merge, relay log and audit chain, in one transaction (Seal commits it).
//
// A change that fails 3 to 6 is kept whole in `_sync_quarantine` with its reason and
// marked known, so the office's later changes flow; the rest of the batch merges.
//
// Thread-safety: none; a MasterLog and its admissions belong to the hub's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "hub/acks.h"
#include "hub/scope.h"
#include "audit/chain_writer.h"
#include "liaison/audit.h"
#include "liaison/hub.h"
#include "liaison/merger.h"

namespace liaison::hub_internal {

// Who writes the changes of one admission, and how they are handed in.
struct Writer {
  std::string office;      // the office its certificate (or the bundle's signer) names
  std::string replica_id;  // the replica whose own changes it carries
  // A change that breaks the schema is kept aside (a savepoint around each change);
  // without, it fails the admission with Status::kConstraint, and the caller may
  // begin again carefully.
  bool careful = true;
  // The changes given to Admit outlive the admission: they are chained from memory.
  bool changes_outlive = false;
};

// What the door did with one change.
struct Verdict {
  enum class Outcome {
    kMerged,     // new, merged and relayed
    kKnown,      // held already: nothing done
    kKeptAside,  // refused by a rule: kept in quarantine with `reason`
    kLeft,       // another office's change relayed without its signature: left for
                 // that office to deliver, nothing recorded
  };
  Outcome outcome = Outcome::kMerged;
  std::string reason;
};

class Admission;

class MasterLog {
 public:
  // REQUIRES: `hub` is a hub replica with its hub tables, and outlives the MasterLog.
  MasterLog(Replica& hub, const HubOptions& options);
  MasterLog(const MasterLog&) = delete;
  MasterLog& operator=(const MasterLog&) = delete;

  // Rule 1: why `office` may not write through replica `replica_id` (a Refusal's
  // reason), or "" when it may; a replica the hub has not seen is bound to `office`.
  // `registered`: the office must be a row of `offices` (always, but for a session an
  // in-process caller vouches for, without a certificate). Joins the caller's
  // transaction when one is open.
  Result<std::string> Identify(const std::string& office, const std::string& replica_id,
                               bool registered = true);
  // The two halves of Identify: the office alone, then the replica's binding.
  Result<std::string> CheckOffice(const std::string& office, bool registered);
  Result<std::string> BindReplicaTo(const std::string& office, const std::string& replica_id);

  // One transaction of changes from `writer`.
  Result<Admission> Begin(const Writer& writer);

  // The city office's own edits since the last chaining enter the audit chain.
  Status ChainOwnEdits();

  Replica& hub() { return hub_; }
  const HubOptions& options() const { return options_; }
  bool is_hub_office(const std::string& office) const;

 private:
  friend class Admission;
  Replica& hub_;
  const HubOptions& options_;
  RetentionGuard guard_;  // refreshed at each Begin
};

class Admission {
 public:
  Admission(Admission&&) noexcept;
  Admission& operator=(Admission&&) = delete;
  ~Admission();  // rolls back unless sealed

  // Rules 3 to 7 for one change. A change of another origin than the writer's
  // replica is judged as its own office's write, and left (kLeft) when signatures
  // are required, since no signature of its office travels with it.
  Result<Verdict> Admit(const Change& change);
  // Chains what was merged (from memory when `recorded` allows it, with `expected`
  // digests), keeps `signed_batch` (an office's signature over the batch; null: none)
  // and commits: durable from here.
  Status Seal(const SignedBatch* signed_batch, const audit_internal::ExpectedEntries* expected = nullptr);
  const ApplyStats& stats() const;

 private:
  friend class MasterLog;
  struct State;
  explicit Admission(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace liaison::hub_internal
