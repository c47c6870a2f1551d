// The office's side of a sync round, without the network: OfficeSession consumes the
// hub's messages (wire.h) and produces the office's, pushing its own changes above the
// hub's watermark, pulling the hub's changes in its scope from the saved cursor,
// comparing digests, witnessing the hub's audit chain and cleaning by the hub's
// retention horizon (engine/hub/HUB.md). engine/net carries the messages over TLS; the
// hub's side is liaison/hub.h.
//
// The office keeps per hub, in its replica: `_sync_hub_link` (the pull cursor, the
// schema version it was built at, the last comparison) and `_sync_witness` (every
// checkpoint of the hub's chain it received).
//
// Thread-safety: none. A session belongs to one thread, and uses its replica alone
// for the length of the round.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "liaison/replica.h"
#include "liaison/status.h"
#include "liaison/sync_summary.h"
#include "liaison/wire.h"

namespace liaison {

class Signer;

struct OfficeSyncOptions {
  std::uint32_t max_batch_changes = 10000;  // lowered to the hub's limit if above it
  // Push batches sent before the first of them is acknowledged (OfficeSession::Ahead):
  // the office reads and encodes the next batches while the hub merges one.
  std::uint32_t push_window = 3;
  std::uint32_t max_frame_bytes = wire::kDefaultMaxFrameBytes;
  // The DER certificate of the hub, as the TLS handshake authenticated it. With one,
  // the office witnesses the hub's audit chain (AUDIT.md, "Witnesses"): it asks for
  // the hub's signed checkpoint, checks that it extends the last one it kept, and
  // keeps it in `_sync_witness`; a hub whose chain does not extend it, or that stops
  // signing checkpoints, ends the round before anything is pushed or pulled.
  std::string hub_certificate;
  // The office's key and certificate (its TLS ones). With one, the office signs every
  // batch it pushes (kCapSignedPush, AUDIT.md "Signed batches").
  std::shared_ptr<const Signer> signer;
  // This round pushes the replica's last changes before it is re-seeded
  // (kCapReseeding): the hub takes it even when the office fell behind its retention
  // horizon, and retires the replica once the round completes.
  bool reseeding = false;
};

// Progress of a round, for a terminal display.
struct SyncProgress {
  const char* phase = "";  // "push", "pull", "verify"
  std::int64_t done = 0;
  std::int64_t total = 0;  // 0 when unknown
};

class OfficeSession {
 public:
  // REQUIRES: `replica` is an office replica and outlives the session.
  static Result<OfficeSession> Begin(Replica& replica, const OfficeSyncOptions& options = {});
  OfficeSession(OfficeSession&&) noexcept;
  OfficeSession& operator=(OfficeSession&&) = delete;
  ~OfficeSession();

  wire::Message Start();  // the Hello
  // The next message to send after the hub's `message`; nullopt when there is none:
  // the round is over (finished(), the Bye was returned before), or the acknowledged
  // batch was not the last one sent. A Refusal from the hub, or a reply that breaks
  // the protocol, is an error; what was committed before stays committed.
  Result<std::optional<wire::Message>> Handle(const wire::Message& message);
  // A further push batch that may be sent now, before the hub has answered what was
  // sent: while pushing, until `push_window` batches are unacknowledged. Call it after
  // each send until it returns nullopt; never calling it gives a round in lockstep.
  std::optional<wire::Message> Ahead();
  bool finished() const;
  const SyncSummary& summary() const;
  SyncProgress progress() const;

 private:
  struct State;
  explicit OfficeSession(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Repairs an office replica whose scope differs from the master copy: moves the file
// at `path` aside (returned: PATH.before-reseed-TIMESTAMP) and creates in its place an
// empty replica of the same office with a new replica id, for a sync to fill from the
// master copy. Push the old replica's changes first: the new one does not have them.
Result<std::string> ReseedReplica(const std::string& path);

}  // namespace liaison
