// The office's side of a sync round (hub.h): push own changes above the hub's
// watermark, pull the hub's changes in scope from the saved cursor, compare digests.
//
// The office keeps one row per hub in `_sync_hub_link` (HUB.md): the pull cursor,
// the schema version it was built at (an upgraded office pulls again from zero, to
// receive what the hub held back from its older schema), and the last comparison.
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "hub/acks.h"
#include "hub/scope.h"
#include "liaison/audit.h"
#include "liaison/capture.h"
#include "liaison/digest.h"
#include "liaison/hlc.h"
#include "liaison/hub.h"
#include "liaison/merger.h"
#include "liaison/pki.h"
#include "liaison/retention.h"

namespace liaison {
namespace {

constexpr int kMaxVerifyAttempts = 3;

Status CreateLinkTable(Db& db) {
  return db.Exec(
      "CREATE TABLE IF NOT EXISTS _sync_hub_link (hub_replica_id TEXT PRIMARY KEY NOT NULL, "
      "cursor_own INTEGER NOT NULL DEFAULT 0, cursor_received INTEGER NOT NULL DEFAULT 0, "
      "schema_version INTEGER NOT NULL DEFAULT 0, last_sync_at TEXT, last_equal_at TEXT, "
      "last_equal_sequence INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
      // Every checkpoint of a hub's audit chain the office received; extends = 0 for
      // one that did not extend the one kept before it (evidence of a rewrite).
      "CREATE TABLE IF NOT EXISTS _sync_witness (hub_replica_id TEXT NOT NULL, n INTEGER NOT "
      "NULL, head BLOB NOT NULL, signed_ms INTEGER NOT NULL, signature BLOB NOT NULL, "
      "certificate BLOB NOT NULL, seen_ms INTEGER NOT NULL, extends INTEGER NOT NULL, "
      "PRIMARY KEY (hub_replica_id, n, head)) WITHOUT ROWID");
}

}  // namespace

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
  std::optional<Change> carried;  // read but not sent: did not fit the last batch
  bool push_read = false;         // the reader has returned everything
  Status push_failed;             // reading the next batch failed: every later call fails
  std::uint64_t batch = 0;        // the last batch sent
  std::uint64_t acked = 0;        // the last batch acknowledged
  std::int64_t push_total = 0, push_done = 0;
  wire::HubCursor cursor;
  // What this round may acknowledge (HUB.md, "Retention"): the cursor it started from
  // and its own changes then; the hub's watermark of its changes as last announced.
  wire::HubCursor start_cursor;
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
  std::optional<Checkpoint> last_seen;  // the last checkpoint kept from this hub
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

OfficeSession::OfficeSession(std::unique_ptr<State> state) : state_(std::move(state)) {}
OfficeSession::OfficeSession(OfficeSession&&) noexcept = default;
OfficeSession::~OfficeSession() = default;

Result<OfficeSession> OfficeSession::Begin(Replica& replica, const OfficeSyncOptions& options) {
  if (replica.info().role != Role::kOffice) {
    return Status::FailedPrecondition("the hub's master copy does not sync with itself");
  }
  if (options.max_batch_changes == 0 || options.max_frame_bytes < 1024 ||
      options.push_window == 0) {
    return Status::InvalidArgument("batch, window and frame limits must be positive");
  }
  LIAISON_RETURN_IF_ERROR(CreateLinkTable(replica.db()));
  auto s = std::make_unique<State>();
  s->replica = &replica;
  s->options = options;
  s->summary.office_id = replica.info().office_id.value();
  return OfficeSession(std::move(s));
}

wire::Message OfficeSession::Start() {
  wire::Hello hello;
  hello.schema_version = static_cast<std::uint32_t>(state_->replica->info().schema_version);
  hello.replica_id = state_->replica->info().replica_id.value();
  hello.capabilities = wire::kCapReseed | wire::kCapRetention |
                       (state_->options.signer ? wire::kCapSignedPush : 0) |
                       (state_->options.reseeding ? wire::kCapReseeding : 0);
  hello.wall_ms = WallMillis();
  return hello;
}

bool OfficeSession::finished() const { return state_->phase == State::Phase::kDone; }
const SyncSummary& OfficeSession::summary() const { return state_->summary; }

SyncProgress OfficeSession::progress() const {
  const State& s = *state_;
  switch (s.phase) {
    case State::Phase::kWelcome:
    case State::Phase::kWitness:
    case State::Phase::kPush:
      return SyncProgress{"push", s.push_done, s.push_total};
    case State::Phase::kPull:
      return SyncProgress{"pull", s.summary.pulled, 0};
    default:
      return SyncProgress{"verify", 0, 0};
  }
}

Result<std::optional<wire::Message>> OfficeSession::Handle(const wire::Message& message) {
  State& s = *state_;
  if (const auto* refusal = std::get_if<wire::Refusal>(&message)) {
    s.summary.refusal = refusal->reason;
    s.phase = State::Phase::kDone;
    return Status::FailedPrecondition(std::string("the hub refused (") +
                                      wire::RefusalCodeName(refusal->code) +
                                      "): " + refusal->reason);
  }
  auto unexpected = [&]() -> Status {
    return Status::Corruption(std::string("the hub sent ") + wire::TypeName(wire::TypeOf(message)) +
                              " out of turn");
  };
  auto wrap = [](Result<wire::Message> m) -> Result<std::optional<wire::Message>> {
    if (!m.ok()) return m.status();
    return std::optional<wire::Message>(std::move(*m));
  };
  switch (s.phase) {
    case State::Phase::kWelcome:
      if (const auto* w = std::get_if<wire::Welcome>(&message)) return s.OnWelcome(*w);
      return unexpected();
    case State::Phase::kWitness:
      if (const auto* w = std::get_if<wire::Witness>(&message)) return s.OnWitness(*w);
      return unexpected();
    case State::Phase::kPush:
      if (const auto* a = std::get_if<wire::PushAck>(&message)) return s.OnAck(*a);
      return unexpected();
    case State::Phase::kPull:
      if (const auto* b = std::get_if<wire::PullBatch>(&message)) return wrap(s.OnPull(*b));
      return unexpected();
    case State::Phase::kVerify:
      if (const auto* v = std::get_if<wire::Verdict>(&message)) {
        Result<wire::Message> next = s.OnVerdict(*v);
        if (!next.ok()) return next.status();
        return std::optional<wire::Message>(std::move(*next));
      }
      return unexpected();
    case State::Phase::kRetention:
      if (const auto* r = std::get_if<wire::Retention>(&message)) return wrap(s.OnRetention(*r));
      return unexpected();
    case State::Phase::kDone:
      return std::optional<wire::Message>();
  }
  return unexpected();
}

Result<std::optional<wire::Message>> OfficeSession::State::OnWelcome(const wire::Welcome& w) {
  const std::string& mine = replica->info().office_id.value();
  if (w.office_id != mine) {
    return Status::FailedPrecondition("the certificate names office " + w.office_id +
                                      " but this replica belongs to " + mine);
  }
  if (w.max_batch_changes == 0 || w.max_frame_bytes < 1024) {
    return Status::Corruption("the hub announced limits of zero");
  }
  hub = w;
  options.max_batch_changes = std::min(options.max_batch_changes, w.max_batch_changes);
  options.max_frame_bytes = std::min(options.max_frame_bytes, w.max_frame_bytes);
  LIAISON_RETURN_IF_ERROR(LoadCursor());
  start_cursor = cursor;
  hub_watermark = w.watermark;
  LIAISON_ASSIGN_OR_RETURN(start_seq, db().QueryInt("SELECT coalesce(max(seq), 0) FROM _sync_changes"));
  LIAISON_RETURN_IF_ERROR(LoadLastSeen());
  const bool hub_witnesses = (w.capabilities & wire::kCapWitness) != 0;
  if (hub_witnesses && !options.hub_certificate.empty()) {
    phase = Phase::kWitness;
    // Every chain extends head(0): a checkpoint at entry 0 needs no links.
    if (last_seen && last_seen->n == 0) last_seen.reset();
    witness_at = last_seen ? last_seen->n : 0;
    witness_head = last_seen ? last_seen->head : std::string();
    return std::optional<wire::Message>(wire::WitnessRequest{witness_at});
  }
  if (last_seen && !hub_witnesses) {
    phase = Phase::kDone;
    return Status::FailedPrecondition(
        "the hub signed a checkpoint of its audit chain at entry " + std::to_string(last_seen->n) +
        " on " + UtcText(last_seen->signed_ms) +
        " and now signs none: its history can not be checked; report this to the auditors");
  }
  return StartPush();
}

Result<std::optional<wire::Message>> OfficeSession::State::StartPush() {
  const wire::Welcome& w = hub;
  LIAISON_ASSIGN_OR_RETURN(push_end,
                           db().QueryInt("SELECT coalesce(max(seq), 0) FROM _sync_changes"));
  step_end = w.watermark;
  LIAISON_RETURN_IF_ERROR(NextStep());
  LIAISON_ASSIGN_OR_RETURN(push_total, db().QueryInt("SELECT count(*) FROM _sync_changes WHERE seq > " +
                                                     std::to_string(w.watermark) + " AND seq <= " +
                                                     std::to_string(push_end)));
  phase = Phase::kPush;
  LIAISON_ASSIGN_OR_RETURN(std::optional<wire::Message> first, NextBatch());
  if (first) return first;
  return std::optional<wire::Message>(PullRequest());
}

// The next batch of own changes, signed when both sides announced kCapSignedPush;
// nullopt once all are read.
Result<std::optional<wire::Message>> OfficeSession::State::NextBatch() {
  if (!push_failed.ok()) return push_failed;
  auto next = [&]() -> Result<std::optional<wire::Message>> {
    LIAISON_ASSIGN_OR_RETURN(std::optional<wire::PushBatch> read, ReadBatch());
    if (!read) return std::optional<wire::Message>();
    if (!SignsBatches()) return std::optional<wire::Message>(std::move(*read));
    std::string digests;
    digests.reserve(read->changes.size() * 32);
    for (const Change& c : read->changes) {
      LIAISON_ASSIGN_OR_RETURN(std::string digest, ChangeDigest(c));
      digests += digest;
    }
    LIAISON_ASSIGN_OR_RETURN(
        std::string signature,
        options.signer->Sign(BatchMessage(read->changes.front().origin, read->changes.front().seq,
                                          read->changes.back().seq, digests)));
    return std::optional<wire::Message>(
        wire::SignedPushBatch{read->batch, std::move(read->changes), std::move(signature)});
  }();
  if (!next.ok()) push_failed = next.status();
  return next;
}

Result<std::optional<wire::PushBatch>> OfficeSession::State::ReadBatch() {
  if (push_read) return std::optional<wire::PushBatch>();
  wire::PushBatch out;
  std::size_t bytes = 0;
  const std::size_t budget = options.max_frame_bytes - 256;
  while (out.changes.size() < options.max_batch_changes) {
    std::optional<Change> c = std::move(carried);
    carried.reset();
    if (!c) {
      LIAISON_ASSIGN_OR_RETURN(c, NextOwnChange());
      if (!c) break;
    }
    LIAISON_ASSIGN_OR_RETURN(std::size_t size, wire::EncodedChangeBytes(*c));
    if (bytes + size > budget) {
      if (out.changes.empty()) {
        return Status::FailedPrecondition("change " + std::to_string(c->seq) + " (" +
                                          std::to_string(size) + " bytes) does not fit a frame");
      }
      carried = std::move(c);
      break;
    }
    bytes += size;
    out.changes.push_back(std::move(*c));
  }
  if (out.changes.empty()) {
    push_read = true;
    push_reader.reset();  // ends its read transaction before the pull writes
    LIAISON_RETURN_IF_ERROR(DigestEarly());
    return std::optional<wire::PushBatch>();
  }
  out.batch = ++batch;
  return std::optional<wire::PushBatch>(std::move(out));
}

// Opens the reader of the next step of own changes, ending its predecessor's read
// transaction before the log is prepared that far.
Status OfficeSession::State::NextStep() {
  push_reader.reset();
  const std::int64_t from = step_end;
  step_end = std::min(push_end, from + static_cast<std::int64_t>(options.max_batch_changes));
  LIAISON_ASSIGN_OR_RETURN(ChangeReader reader, ChangeReader::OpenOwn(*replica, from, step_end));
  push_reader.emplace(std::move(reader));
  return Status::Ok();
}

// The next own change to push; nullopt after the last one of this round.
Result<std::optional<Change>> OfficeSession::State::NextOwnChange() {
  for (;;) {
    LIAISON_ASSIGN_OR_RETURN(std::optional<Change> c, push_reader->Next());
    if (c || step_end >= push_end) return c;
    LIAISON_RETURN_IF_ERROR(NextStep());
  }
}

// After an acknowledgement: the next batch, nothing while earlier batches are still
// unacknowledged, or the first pull request once every batch is.
Result<std::optional<wire::Message>> OfficeSession::State::OnAck(const wire::PushAck& ack) {
  if (ack.batch != acked + 1 || ack.batch > batch) {
    return Status::Corruption("the hub acknowledged batch " + std::to_string(ack.batch) +
                              " instead of " + std::to_string(acked + 1));
  }
  acked = ack.batch;
  hub_watermark = ack.watermark;
  summary.pushed += ack.applied;
  summary.duplicates += ack.duplicates;
  summary.conflicts += ack.conflicts;
  summary.quarantined += static_cast<std::int64_t>(ack.quarantined.size());
  for (const auto& q : ack.quarantined) summary.quarantine.push_back(q);
  push_done += ack.applied + ack.duplicates + static_cast<std::int64_t>(ack.quarantined.size());
  LIAISON_ASSIGN_OR_RETURN(std::optional<wire::Message> next, NextBatch());
  if (next) return next;
  if (acked < batch) return std::optional<wire::Message>();
  return std::optional<wire::Message>(PullRequest());
}

std::optional<wire::Message> OfficeSession::Ahead() {
  State& s = *state_;
  if (s.phase != State::Phase::kPush || s.batch - s.acked >= s.options.push_window) {
    return std::nullopt;
  }
  // A read error is kept: the Handle of the next acknowledgement reports it.
  Result<std::optional<wire::Message>> next = s.NextBatch();
  if (!next.ok() || !next->has_value()) return std::nullopt;
  return std::move(**next);
}

Result<wire::Message> OfficeSession::State::OnPull(const wire::PullBatch& batch) {
  if (batch.changes.size() > options.max_batch_changes) {
    return Status::Corruption("the hub sent " + std::to_string(batch.changes.size()) +
                              " changes; at most " + std::to_string(options.max_batch_changes) +
                              " were asked for");
  }
  if (batch.next.own < cursor.own || batch.next.received < cursor.received) {
    return Status::Corruption("the hub's cursor went backwards");
  }
  LIAISON_ASSIGN_OR_RETURN(Merger merger, Merger::Begin(*replica));
  for (const Change& c : batch.changes) LIAISON_RETURN_IF_ERROR(merger.Apply(c));
  cursor = batch.next;
  LIAISON_RETURN_IF_ERROR(SaveCursor());
  LIAISON_RETURN_IF_ERROR(merger.Commit());
  summary.pulled += static_cast<std::int64_t>(batch.changes.size());
  summary.conflicts += merger.stats().conflicts;
  summary.duplicates += merger.stats().duplicates;
  if (batch.more) return PullRequest();
  return Verify();
}

Result<std::string> OfficeSession::State::ScopeDigest() {
  LIAISON_ASSIGN_OR_RETURN(std::vector<TableInfo> tables, ReplicatedTables(db()));
  std::vector<std::string> names;
  for (const auto& t : tables) names.push_back(t.name);
  return DigestTables(db(), hub_internal::ScopeConditions(names, replica->info().office_id.value(),
                                                           hub.hub_office_id));
}

Status OfficeSession::State::DigestEarly() {
  LIAISON_ASSIGN_OR_RETURN(std::int64_t version, db().QueryInt("PRAGMA data_version"));
  LIAISON_ASSIGN_OR_RETURN(std::string digest, ScopeDigest());
  early_digest = EarlyDigest{std::move(digest), version, summary.pulled};
  return Status::Ok();
}

Result<wire::Message> OfficeSession::State::Verify() {
  std::optional<std::string> early;
  if (early_digest && early_digest->pulled == summary.pulled) {
    LIAISON_ASSIGN_OR_RETURN(std::int64_t version, db().QueryInt("PRAGMA data_version"));
    if (version == early_digest->data_version) early = std::move(early_digest->digest);
  }
  early_digest.reset();
  std::string digest;
  if (early) {
    digest = std::move(*early);
  } else {
    LIAISON_ASSIGN_OR_RETURN(digest, ScopeDigest());
  }
  phase = Phase::kVerify;
  ++verify_attempts;
  return wire::Message(wire::Verify{cursor, digest});
}

Result<wire::Message> OfficeSession::State::OnVerdict(const wire::Verdict& verdict) {
  if (verdict.hub_digest.empty()) {
    // The master copy changed in this office's scope since the last pull.
    if (verify_attempts >= kMaxVerifyAttempts) {
      phase = Phase::kDone;
      summary.complete = false;
      return Status::FailedPrecondition(
          "the master copy kept changing in this office's scope; sync again later");
    }
    return PullRequest();
  }
  summary.verified = verdict.equal;
  summary.hub_sequence = verdict.hub_sequence;
  summary.complete = true;
  LIAISON_RETURN_IF_ERROR(SaveComparison(verdict));
  equal = verdict.equal;
  if (Retains()) {
    // Everything written before the pull reached `cursor` is among the changes up to
    // `now`; if the hub holds them all, the round acknowledges `cursor`, otherwise
    // where it started.
    LIAISON_ASSIGN_OR_RETURN(std::int64_t now,
                             db().QueryInt("SELECT coalesce(max(seq), 0) FROM _sync_changes"));
    phase = Phase::kRetention;
    if (now <= hub_watermark) return wire::Message(wire::RetentionRequest{cursor, now});
    return wire::Message(wire::RetentionRequest{start_cursor, start_seq});
  }
  phase = Phase::kDone;
  return wire::Message(wire::Bye{});
}

// Cleans by the hub's last horizon once this replica has pulled as far as the hub had
// when it cleaned, and its scope matched the master copy's.
Result<wire::Message> OfficeSession::State::OnRetention(const wire::Retention& retention) {
  summary.acknowledged = retention.acknowledged;
  phase = Phase::kDone;
  const bool reached =
      cursor.own >= retention.position.own && cursor.received >= retention.position.received;
  if (equal && retention.cleaned_ms > 0 && reached && !options.reseeding) {
    LIAISON_ASSIGN_OR_RETURN(
        ReplicaCleaning cleaned,
        CleanReplica(*replica, RetentionHorizon::FromWire(retention), hub_watermark));
    summary.cleaned = cleaned.total();
  }
  return wire::Message(wire::Bye{});
}

Status OfficeSession::State::LoadLastSeen() {
  LIAISON_ASSIGN_OR_RETURN(
      Stmt last, db().Prepare("SELECT n, head, signed_ms, signature, certificate FROM "
                              "_sync_witness WHERE hub_replica_id = ? AND extends = 1 ORDER BY n "
                              "DESC LIMIT 1"));
  last.Bind(1, std::string_view(hub.hub_replica_id));
  LIAISON_ASSIGN_OR_RETURN(bool row, last.Step());
  if (row) {
    last_seen = Checkpoint{last.Int(0), last.Blob(1), last.Int(2), last.Blob(3), last.Blob(4)};
  }
  return Status::Ok();
}

Status OfficeSession::State::Keep(const wire::Witness& w, bool extends) {
  LIAISON_ASSIGN_OR_RETURN(
      Stmt keep, db().Prepare("INSERT OR IGNORE INTO _sync_witness(hub_replica_id, n, head, "
                              "signed_ms, signature, certificate, seen_ms, extends) VALUES(?, ?, "
                              "?, ?, ?, ?, ?, ?)"));
  keep.Bind(1, std::string_view(hub.hub_replica_id))
      .Bind(2, w.n)
      .BindBlob(3, w.head)
      .Bind(4, w.signed_ms)
      .BindBlob(5, w.signature)
      .BindBlob(6, w.certificate)
      .Bind(7, static_cast<std::int64_t>(WallMillis()))
      .Bind(8, std::int64_t{extends ? 1 : 0});
  return keep.Run();
}

Result<std::optional<wire::Message>> OfficeSession::State::OnWitness(const wire::Witness& w) {
  if (w.from != witness_at) {
    return Status::Corruption("the hub sent the links after entry " + std::to_string(w.from) +
                              ", not after " + std::to_string(witness_at));
  }
  if (!witness) {
    if (w.certificate != options.hub_certificate) {
      return Status::Corruption("the hub's checkpoint is signed with a certificate other than "
                                "the one it presented for TLS");
    }
    Checkpoint cp{w.n, w.head, w.signed_ms, w.signature, w.certificate};
    LIAISON_ASSIGN_OR_RETURN(bool valid, CheckpointSignatureValid(cp));
    if (!valid) return Status::Corruption("the hub's checkpoint carries a signature that does not verify");
    witness = w;
    witness->links.clear();
  } else if (w.n != witness->n || w.head != witness->head || w.signed_ms != witness->signed_ms ||
             w.signature != witness->signature) {
    return Status::Corruption("the hub changed its checkpoint in the middle of a round");
  }
  auto rewritten = [&](const std::string& what) -> Result<std::optional<wire::Message>> {
    phase = Phase::kDone;
    LIAISON_RETURN_IF_ERROR(Keep(*witness, false));  // the evidence: a signed other head
    summary.refusal = "the hub's history was rewritten";
    return Status::FailedPrecondition(
        "the hub's audit chain " + what + " the checkpoint at entry " +
        std::to_string(last_seen->n) + " it signed on " + UtcText(last_seen->signed_ms) +
        " (head " + HexBytes(last_seen->head).substr(0, 16) + "…): its history was rewritten. "
        "Nothing was pushed or pulled; both checkpoints are kept in _sync_witness for the "
        "auditors");
  };
  if (last_seen) {
    if (w.n < last_seen->n) return rewritten("now ends at entry " + std::to_string(w.n) + ", before");
    const std::size_t count = w.links.size() / wire::kHashBytes;
    for (std::size_t i = 0; i < count; ++i) {
      witness_head =
          ChainLink(witness_head, std::string_view(w.links).substr(i * wire::kHashBytes, wire::kHashBytes));
    }
    witness_at += static_cast<std::int64_t>(count);
    if (witness_at < w.n) {
      if (count == 0) return Status::Corruption("the hub sent no links to its checkpoint");
      return std::optional<wire::Message>(wire::WitnessRequest{witness_at});
    }
    if (witness_head != w.head) {
      return rewritten("at entry " + std::to_string(w.n) + " does not extend");
    }
  }
  LIAISON_RETURN_IF_ERROR(Keep(*witness, true));
  summary.witnessed = witness->n;
  return StartPush();
}

Status OfficeSession::State::LoadCursor() {
  const int version = replica->info().schema_version;
  LIAISON_ASSIGN_OR_RETURN(
      Stmt link, db().Prepare("SELECT cursor_own, cursor_received, schema_version FROM "
                              "_sync_hub_link WHERE hub_replica_id = ?"));
  link.Bind(1, std::string_view(hub.hub_replica_id));
  LIAISON_ASSIGN_OR_RETURN(bool row, link.Step());
  if (row && link.Int(2) == version) {
    cursor = wire::HubCursor{link.Int(0), link.Int(1)};
    return Status::Ok();
  }
  // First sync with this hub, or a schema upgrade since: pull everything again.
  cursor = wire::HubCursor{};
  LIAISON_ASSIGN_OR_RETURN(
      Stmt reset, db().Prepare("INSERT OR REPLACE INTO _sync_hub_link(hub_replica_id, "
                               "schema_version) VALUES(?, ?)"));
  reset.Bind(1, std::string_view(hub.hub_replica_id)).Bind(2, std::int64_t{version});
  return reset.Run();
}

Status OfficeSession::State::SaveCursor() {
  LIAISON_ASSIGN_OR_RETURN(Stmt update,
                           db().Prepare("UPDATE _sync_hub_link SET cursor_own = ?, cursor_received "
                                        "= ? WHERE hub_replica_id = ?"));
  update.Bind(1, cursor.own).Bind(2, cursor.received).Bind(3, std::string_view(hub.hub_replica_id));
  return update.Run();
}

Status OfficeSession::State::SaveComparison(const wire::Verdict& verdict) {
  const char* sql =
      verdict.equal
          ? "UPDATE _sync_hub_link SET last_sync_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), "
            "last_equal_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), last_equal_sequence = ?2 "
            "WHERE hub_replica_id = ?1"
          : "UPDATE _sync_hub_link SET last_sync_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
            "WHERE hub_replica_id = ?1";
  LIAISON_ASSIGN_OR_RETURN(Stmt update, db().Prepare(sql));
  update.Bind(1, std::string_view(hub.hub_replica_id));
  if (verdict.equal) update.Bind(2, verdict.hub_sequence);
  return update.Run();
}

Result<std::string> ReseedReplica(const std::string& path) {
  ReplicaInfo info;
  {
    LIAISON_ASSIGN_OR_RETURN(Replica old, Replica::Open(path));
    info = old.info();
    if (info.role != Role::kOffice) return Status::FailedPrecondition("only an office replica can be re-seeded");
    // Fold the write-ahead log into the file so that one rename moves everything.
    LIAISON_RETURN_IF_ERROR(old.db().Exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  }
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", std::gmtime(&now));
  const std::string backup = path + ".before-reseed-" + stamp;
  if (std::rename(path.c_str(), backup.c_str()) != 0) {
    return Status::IoError("cannot move " + path + " aside: " + std::strerror(errno));
  }
  for (const char* suffix : {"-wal", "-shm"}) std::remove((path + suffix).c_str());
  OpenOptions options;
  options.schema_version = info.schema_version;
  Result<Replica> fresh = Replica::Create(path, info.office_id, Role::kOffice, options);
  if (!fresh.ok()) {
    (void)std::rename(backup.c_str(), path.c_str());
    return fresh.status();
  }
  return backup;
}

}  // namespace liaison
