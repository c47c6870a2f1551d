// The sync protocol's two ends, without the network: HubSession (the hub's side of
// one office's connection) and OfficeSession (the office's side of one sync round).
// Each consumes the peer's messages (wire.h) and produces its own; engine/net carries
// them over TLS. Keeping them transport-free lets tests drive whole rounds in memory.
//
// The hub (a replica created with `--hub`) holds the master copy. Its master log is
// its own change log plus its relay log; HubCursor (wire.h) is a position in it.
// What the hub keeps besides the replica's own metadata (engine/hub/HUB.md):
//   _sync_hub_replicas   which office each replica id belongs to (first come)
//   _sync_hub_offices    per office: last sync, its result, last equal digest, skew
//   _sync_hub_scope      owner and audience of every row the master log names
//   _sync_quarantine     changes refused for scope, clock or retention, kept whole
//   _sync_hub_acks, _sync_retention, _sync_retention_horizon
//                        what each office replica acknowledged, and each cleaning
//                        (liaison/retention.h, HUB.md "Retention")
//
// Scope (engine/hub/HUB.md, "Scope"): an office writes only rows whose owner is its
// office id, including the row's owner after the change; it receives rows it owns
// and the hub office's rows (reference data), except where a table names an audience
// column: then a hub-owned row reaches only the office it names.
//
// Thread-safety: none. A Hub and all its sessions belong to one thread; sessions may
// interleave message by message (the daemon runs them on one event loop), and every
// write to the master copy happens inside one Handle call, in one transaction.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "liaison/bundle.h"
#include "liaison/replica.h"
#include "liaison/status.h"
#include "liaison/wire.h"

namespace liaison {

class Signer;

// The largest page cache HubOptions::cache_mib allows.
inline constexpr std::uint32_t kMaxCacheMib = 64 * 1024;

struct HubOptions {
  std::uint32_t max_frame_bytes = wire::kDefaultMaxFrameBytes;
  std::uint32_t max_batch_changes = 10000;
  // A change whose clock is further ahead of the hub's clock is quarantined.
  std::int64_t max_clock_ahead_ms = 24 * 60 * 60 * 1000;
  // The master copy's page cache. A push writes the row, its metadata, the relay log
  // and the audit chain, keyed by random row ids: with SQLite's default 2 MiB most of
  // those B-tree pages are read back from the file for each row.
  std::uint32_t cache_mib = 64;
  // The hub's key and certificate, which sign the audit chain's checkpoints that
  // offices witness (kCapWitness). Without one the hub signs none.
  std::shared_ptr<const Signer> signer;
  // A migration window: offices' changes are admitted without their office's
  // signature (a Hello without kCapSignedPush, an unsigned bundle, another office's
  // change relayed in a bundle). Default: false, every office change is signed.
  bool allow_unsigned = false;
};

// What one sync round did, for the log line and the office's summary.
struct SyncSummary {
  std::string office_id;
  std::int64_t pushed = 0;       // changes the office sent that were new to the hub
  std::int64_t pulled = 0;       // changes the hub sent
  std::int64_t conflicts = 0;    // journal entries written (hub side: by the push)
  std::int64_t quarantined = 0;  // changes refused for scope or clock, kept at the hub
  std::int64_t duplicates = 0;   // changes the receiver already had
  bool verified = false;         // the digests of the scope compared equal
  std::int64_t hub_sequence = 0; // master log position the comparison was made at
  // The hub's signed checkpoint this round saw and checked (office side: it extends
  // the one seen before); -1 when none was exchanged.
  std::int64_t witnessed = -1;
  std::vector<wire::Quarantined> quarantine;  // office side: what the hub kept aside, why
  std::string refusal;           // non-empty when the round ended with a Refusal
  bool complete = false;         // push, pull and verify all done
  // The hub recorded this round's acknowledgement (kCapRetention, HUB.md "Retention").
  bool acknowledged = false;
  // Office side: tombstones and log entries cleaned by the hub's horizon this round.
  std::int64_t cleaned = 0;
};

class HubSession;

class Hub {
 public:
  // Opens the master copy at `path` (synchronous=FULL). Refuses a replica that was
  // not created with --hub.
  static Result<Hub> Open(const std::string& path, const HubOptions& options = {});
  Hub(Hub&&) noexcept;
  Hub& operator=(Hub&&) = delete;
  ~Hub();

  // A session for a connection whose client certificate names `office_id`;
  // `certificate` is that certificate (DER), which checks the office's signed batches
  // (empty: the hub does not ask for signatures).
  std::unique_ptr<HubSession> StartSession(const std::string& office_id,
                                           const std::string& certificate = {});

  // Imports an office's bundle file (bundle.h) into the master copy, in one
  // transaction, through the same door as a push (HUB.md, "The door"): the bundle's
  // office must be an office of the master copy and its replica bound to it; its
  // signature must verify and its certificate be trusted by `options`' CA and
  // revocation list (required unless HubOptions::allow_unsigned); each change then
  // meets the retention guard, scope, clock and schema rules, and one that fails is
  // kept in quarantine while the rest merges. Nothing is written unless the whole
  // file is sound.
  Result<ImportStats> ImportBundle(const std::string& path, const ImportOptions& options = {});

  Replica& replica();
  const HubOptions& options() const;

 private:
  friend class HubSession;
  struct State;
  explicit Hub(std::unique_ptr<State> state);
  static Result<ImportStats> ImportBundleOnce(State& state, const std::string& path,
                                              const ImportOptions& options, bool careful);
  std::unique_ptr<State> state_;
};

class HubSession {
 public:
  ~HubSession();
  // The reply to one message from the office: nullopt after Bye. A Refusal ends the
  // session (finished() turns true); the connection should close after sending it.
  // Never returns an error: failures become a Refusal with their reason.
  std::optional<wire::Message> Handle(const wire::Message& message);
  // The connection closed (cleanly or not): records the round in _sync_hub_offices.
  void Close();
  bool finished() const;
  const SyncSummary& summary() const;

 private:
  friend class Hub;
  struct State;
  explicit HubSession(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

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

// One row of `liaison hub status`.
struct OfficeStatus {
  std::string office_id;
  std::string replica_ids;        // comma-separated
  std::string last_sync_at;       // ISO 8601 UTC, empty if never
  std::string last_result;        // "complete", "refused: ...", "cut"
  std::string last_equal_at;      // last time the digests of its scope matched
  std::int64_t last_equal_sequence = 0;
  bool last_mismatch = false;     // the last comparison found a difference
  std::int64_t quarantined = 0;   // changes held in quarantine
  std::int64_t skew_ms = 0;       // office clock minus hub clock at the last sync
  // Retention (HUB.md): the furthest master-log position its live replicas have
  // acknowledged, as a hub sequence, and when (empty: never); "counted" (it holds the
  // next cleaning's horizon back), "lapsed" (its last acknowledgement is older than
  // the window: it does not), or "behind the horizon" (its next sync is refused until
  // it re-seeds).
  std::int64_t acknowledged_sequence = 0;
  std::string acknowledged_at;
  std::string retention;
};

Result<std::vector<OfficeStatus>> ListOfficeStatus(Replica& hub);

struct QuarantineEntry {
  std::int64_t id = 0;
  std::string received_at;
  std::string office_id;
  std::string origin;
  std::int64_t seq = 0;
  std::string table, pk, op;
  std::string values_json;
  std::string reason;
};

Result<std::vector<QuarantineEntry>> ListQuarantine(Replica& hub);

}  // namespace liaison
