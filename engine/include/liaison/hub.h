// The hub's side of the sync protocol, without the network: Hub (the master copy) and
// HubSession (the hub's side of one office's connection). A session consumes the
// office's messages (wire.h) and produces its own; engine/net carries them over TLS.
// Keeping it transport-free lets tests drive whole rounds in memory against the
// office's side, OfficeSession (liaison/office_sync.h).
//
// The hub (a replica created with `--hub`) holds the master copy. Its master log is
// its own change log plus its relay log; LogPosition (log_position.h) is a position in it.
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
#include "liaison/sync_summary.h"
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
