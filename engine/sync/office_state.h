// The office's side of a sync round, inside (liaison/office_sync.h): the state one
// OfficeSession holds between messages, shared by the files of engine/sync/.
//
//   office_session.cc   the round: welcome, push, pull, verify, retention
//   office_link.cc      what the office keeps of each hub: `_sync_hub_link` (the pull
//                       cursor, the schema version it was built at, the last
//                       comparison) and `_sync_witness` (the checkpoints it witnessed)
//   reseed.cc           ReseedReplica
//
// Thread-safety: none; a State belongs to its OfficeSession.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "liaison/audit.h"
#include "liaison/merger.h"
#include "liaison/office_sync.h"
#include "liaison/wire.h"

namespace liaison {

namespace sync_internal {


}  // namespace sync_internal

struct OfficeSession::State {
  enum class Phase { kWelcome, kWitness, kPush, kPull, kVerify, kRetention, kDone };

  Replica* replica = nullptr;
  OfficeSyncOptions options;
  Phase phase = Phase::kWelcome;
  wire::Welcome hub;
  // Own changes are read in steps of about one batch, each step preparing the log
  // (sealing, folding) only as far as it reads: the first batch goes out without
  // waiting for the whole log to be prepared.
  std::optional<ChangeReader> push_reader;  // reads up to step_end
  std::int64_t step_end = 0;                // the last seq the current step reads
  std::int64_t push_end = 0;                // the last seq this round pushes
  std::optional<Change> carried;            // read but not sent: did not fit the last batch
  bool push_read = false;                   // the reader has returned everything
  Status push_failed;                       // reading the next batch failed: every later call fails
  std::uint64_t batch = 0;                  // the last batch sent
  std::uint64_t acked = 0;                  // the last batch acknowledged
  std::int64_t push_total = 0, push_done = 0;
  LogPosition cursor;
  // What this round may acknowledge (HUB.md, "Retention"): the cursor it started from
  // and its own changes then; the hub's watermark of its changes as last announced.
  LogPosition start_cursor;
  std::int64_t start_seq = 0;
  std::int64_t hub_watermark = 0;
  bool equal = false;  // the Verdict found the scope equal
  int verify_attempts = 0;
  // The scope's digest, worked out once every own change was sent, while the hub still
  // merges the last batches. It stands in Verify if no pulled change and no other
  // connection's commit came after it (PRAGMA data_version as it was then).
  struct EarlyDigest {
    std::string digest;
    std::int64_t data_version = 0;
    std::int64_t pulled = 0;
  };
  std::optional<EarlyDigest> early_digest;
  std::optional<Checkpoint> last_seen;   // the last checkpoint kept from this hub
  std::optional<wire::Witness> witness;  // this round's checkpoint, once received
  std::int64_t witness_at = 0;           // links checked up to this entry ...
  std::string witness_head;              // ... taking last_seen's head to this one
  SyncSummary summary;

  Db& db() { return replica->db(); }

  Result<std::optional<wire::Message>> OnWelcome(const wire::Welcome& welcome);
  Result<std::optional<wire::Message>> StartPush();
  Result<std::optional<wire::Message>> OnWitness(const wire::Witness& witness);
  Status LoadLastSeen();
  Status Keep(const wire::Witness& w, bool extends);
  Result<std::optional<wire::Message>> NextBatch();
  bool SignsBatches() const {
    return options.signer && (hub.capabilities & wire::kCapSignedPush) != 0;
  }
  Result<std::optional<wire::PushBatch>> ReadBatch();
  Status NextStep();
  Result<std::optional<Change>> NextOwnChange();
  Result<std::optional<wire::Message>> OnAck(const wire::PushAck& ack);
  Result<wire::Message> OnPull(const wire::PullBatch& batch);
  Result<wire::Message> OnVerdict(const wire::Verdict& verdict);
  Result<wire::Message> OnRetention(const wire::Retention& retention);
  bool Retains() const { return (hub.capabilities & wire::kCapRetention) != 0; }
  Result<wire::Message> Verify();
  Result<std::string> ScopeDigest();
  Status DigestEarly();
  Status LoadCursor();
  Status SaveCursor();
  Status SaveComparison(const wire::Verdict& verdict);
  wire::Message PullRequest() {
    phase = Phase::kPull;
    return wire::PullRequest{cursor, options.max_batch_changes};
  }
};

}  // namespace liaison
