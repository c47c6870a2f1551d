// The hub's side of the sync protocol (hub.h): handshake, push with scope checks and
// quarantine, pull by cursor filtered to the office's scope, and the digest check.
#include <algorithm>
#include <chrono>
#include <optional>

#include "hub/acks.h"
#include "hub/batch_check.h"
#include "hub/hub_tables.h"
#include "hub/hub_state.h"
#include "hub/master_log.h"
#include "hub/scope.h"
#include "liaison/audit.h"
#include "liaison/digest.h"
#include "liaison/hlc.h"
#include "liaison/hub.h"
#include "liaison/ids.h"
#include "liaison/merger.h"
#include "liaison/pki.h"
#include "liaison/retention.h"

namespace liaison {

using hub_internal::Admission;
using hub_internal::BatchCheck;
using hub_internal::MasterLog;
using hub_internal::RowScope;
using hub_internal::RowScopes;
using hub_internal::TableColumns;

namespace {

// `reason` cut to what a Refusal or Quarantined may carry (WIRE.md), at a UTF-8
// character boundary.
std::string Shorten(std::string reason) {
  if (reason.size() <= wire::kMaxReasonBytes) return reason;
  size_t end = wire::kMaxReasonBytes - 3;  // room for the ellipsis
  while (end > 0 && (static_cast<unsigned char>(reason[end]) & 0xC0) == 0x80) --end;
  return reason.substr(0, end) + "\u2026";
}

wire::Message Refuse(wire::RefusalCode code, std::string reason) {
  return wire::Refusal{code, Shorten(std::move(reason))};
}

bool IsHexId(const std::string& s) {
  if (s.size() != 32) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

Hub::Hub(std::unique_ptr<State> state) : state_(std::move(state)) {}
Hub::Hub(Hub&&) noexcept = default;
Hub::~Hub() = default;

Result<Hub> Hub::Open(const std::string& path, const HubOptions& options) {
  if (options.max_batch_changes == 0 || options.max_frame_bytes < 1024 ||
      options.max_frame_bytes > wire::kHardMaxFrameBytes || options.max_clock_ahead_ms < 0 ||
      options.cache_mib == 0 || options.cache_mib > kMaxCacheMib) {
    return Status::InvalidArgument("hub limits out of range");
  }
  OpenOptions open;
  open.full_sync = true;
  open.cache_kib = static_cast<int>(options.cache_mib * 1024);
  LIAISON_ASSIGN_OR_RETURN(Replica replica, Replica::Open(path, open));
  if (replica.info().role != Role::kHub) {
    return Status::FailedPrecondition(path + " is an office replica, not a hub (liaison init --hub)");
  }
  auto state = std::make_unique<State>(State{std::move(replica), options, {}, nullptr});
  state->door = std::make_unique<MasterLog>(state->replica, state->options);
  // The city office's own edits since the last run enter the audit chain.
  LIAISON_RETURN_IF_ERROR(state->door->ChainOwnEdits());
  return Hub(std::move(state));
}

Replica& Hub::replica() { return state_->replica; }
const HubOptions& Hub::options() const { return state_->options; }

// ---- HubSession

struct HubSession::State {
  enum class Phase { kHello, kReady, kDone };

  Hub::State* hub = nullptr;
  Phase phase = Phase::kHello;
  std::string office;
  std::string replica_id;
  int schema_version = 0;
  std::int64_t skew_ms = 0;
  std::uint64_t last_batch = 0;
  SyncSummary summary;
  bool closed = false;
  bool compared = false;  // a Verdict with a digest was sent
  std::optional<Checkpoint> checkpoint;  // signed at the first WitnessRequest
  std::string certificate;  // the office's (DER); empty: no signed batches asked for
  bool signed_push = false;  // both sides announced kCapSignedPush
  bool retention = false;    // both sides announced kCapRetention
  bool reseeding = false;    // the office pushes before re-seeding (kCapReseeding)
  bool unrecorded = false;   // refused for its identity: Close records nothing

  Db& db() { return hub->replica.db(); }
  MasterLog& door() { return *hub->door; }
  const ReplicaInfo& info() { return hub->replica.info(); }
  const HubOptions& options() { return hub->options; }

  wire::Message End(wire::Message refusal) {
    summary.refusal = std::get<wire::Refusal>(refusal).reason;
    phase = Phase::kDone;
    return refusal;
  }

  Result<std::int64_t> Watermark() {
    LIAISON_ASSIGN_OR_RETURN(
        Stmt stmt, db().Prepare("SELECT coalesce((SELECT contiguous_seq FROM _sync_origins WHERE "
                                "origin = ?), 0)"));
    stmt.Bind(1, std::string_view(replica_id));
    LIAISON_ASSIGN_OR_RETURN(bool row, stmt.Step());
    return row ? stmt.Int(0) : 0;
  }

  wire::Message OnHello(const wire::Hello& hello);
  // A PushBatch or a SignedPushBatch, without copying its changes.
  struct Batch {
    std::uint64_t batch;
    const std::vector<Change>& changes;
  };
  wire::Message OnPush(const Batch& batch, const std::string* signature);
  Result<wire::Message> Push(const Batch& batch, BatchCheck& check, bool careful);
  Result<wire::Message> OnRetentionRequest(const wire::RetentionRequest& request);
  Result<wire::Message> Pull(const wire::PullRequest& request);
  Result<wire::PullBatch> Collect(const LogPosition& after, std::uint32_t limit,
                                  std::int64_t max_scanned);
  Result<wire::Message> OnVerify(const wire::Verify& verify);
  Result<wire::Message> OnWitnessRequest(const wire::WitnessRequest& request);
  Result<bool> Deliverable(const Change& c, RowScopes& scopes, const TableColumns& tables);
  Result<std::string> ScopeDigest();
  Result<LogPosition> Head();
};

HubSession::HubSession(std::unique_ptr<State> state) : state_(std::move(state)) {}

HubSession::~HubSession() { Close(); }

std::unique_ptr<HubSession> Hub::StartSession(const std::string& office_id,
                                              const std::string& certificate) {
  auto s = std::make_unique<HubSession::State>();
  s->hub = state_.get();
  s->office = office_id;
  s->certificate = certificate;
  s->summary.office_id = office_id;
  return std::unique_ptr<HubSession>(new HubSession(std::move(s)));
}

bool HubSession::finished() const { return state_->phase == State::Phase::kDone; }
const SyncSummary& HubSession::summary() const { return state_->summary; }

std::optional<wire::Message> HubSession::Handle(const wire::Message& message) {
  using RC = wire::RefusalCode;
  State& s = *state_;
  if (s.phase == State::Phase::kDone) return s.End(Refuse(RC::kUnexpected, "the session is over"));
  if (s.phase == State::Phase::kHello) {
    if (const auto* hello = std::get_if<wire::Hello>(&message)) return s.OnHello(*hello);
    return s.End(Refuse(RC::kUnexpected, std::string("expected Hello, got ") +
                                             wire::TypeName(wire::TypeOf(message))));
  }
  auto reply = [&]() -> Result<wire::Message> {
    if (const auto* push = std::get_if<wire::PushBatch>(&message)) {
      return s.OnPush({push->batch, push->changes}, nullptr);
    }
    if (const auto* push = std::get_if<wire::SignedPushBatch>(&message)) {
      return s.OnPush({push->batch, push->changes}, &push->signature);
    }
    if (const auto* pull = std::get_if<wire::PullRequest>(&message)) return s.Pull(*pull);
    if (const auto* verify = std::get_if<wire::Verify>(&message)) return s.OnVerify(*verify);
    if (const auto* witness = std::get_if<wire::WitnessRequest>(&message)) {
      return s.OnWitnessRequest(*witness);
    }
    if (const auto* request = std::get_if<wire::RetentionRequest>(&message)) {
      return s.OnRetentionRequest(*request);
    }
    return Refuse(RC::kUnexpected,
                  std::string("unexpected ") + wire::TypeName(wire::TypeOf(message)));
  };
  if (std::holds_alternative<wire::Bye>(message)) {
    s.summary.complete = s.compared;
    s.phase = State::Phase::kDone;
    return std::nullopt;
  }
  Result<wire::Message> out = reply();
  if (!out.ok()) return s.End(Refuse(RC::kInternal, out.status().message()));
  if (std::holds_alternative<wire::Refusal>(*out)) return s.End(std::move(*out));
  return std::move(*out);
}

wire::Message HubSession::State::OnHello(const wire::Hello& hello) {
  using RC = wire::RefusalCode;
  const int hub_version = info().schema_version;
  if (hello.protocol_version != wire::kProtocolVersion) {
    return End(Refuse(RC::kProtocolVersion,
                      "protocol version " + std::to_string(hello.protocol_version) +
                          " is not supported; the hub speaks " +
                          std::to_string(wire::kProtocolVersion)));
  }
  const int version = static_cast<int>(hello.schema_version);
  if (version > hub_version) {
    return End(Refuse(RC::kSchemaVersion,
                      "office schema version " + std::to_string(version) +
                          " is newer than the hub's " + std::to_string(hub_version) +
                          ": upgrade the hub first"));
  }
  if (version < hub_version - 1 || version < 1) {
    return End(Refuse(RC::kSchemaVersion,
                      "office schema version " + std::to_string(version) +
                          " is too old for the hub's " + std::to_string(hub_version) +
                          " (one version behind at most): upgrade the office"));
  }
  if (!IsHexId(hello.replica_id) || hello.replica_id == info().replica_id.value()) {
    return End(Refuse(RC::kIdentity, "malformed replica id '" + hello.replica_id + "'"));
  }
  retention = (hello.capabilities & wire::kCapRetention) != 0;
  reseeding = (hello.capabilities & wire::kCapReseeding) != 0;
  // Judged before the binding, which makes a new replica known.
  auto behind = reseeding ? Result<std::string>(std::string())
                          : hub_internal::ReseedReason(db(), hello.replica_id, office);
  if (!behind.ok()) return End(Refuse(RC::kInternal, behind.status().message()));
  // A session without a certificate comes from an in-process caller who vouches for
  // the office; over TLS every session has one.
  auto known = door().CheckOffice(office, !certificate.empty());
  if (!known.ok()) return End(Refuse(RC::kInternal, known.status().message()));
  if (!known->empty()) {
    unrecorded = true;  // an office the hub does not know leaves no trace in its tables
    return End(Refuse(RC::kIdentity, *known));
  }
  // A hub with a CA requires every office to sign its batches, unless a migration
  // window is open.
  if (!certificate.empty() && (hello.capabilities & wire::kCapSignedPush) == 0 &&
      !options().allow_unsigned) {
    return End(Refuse(RC::kIdentity,
                      "this hub requires signed batches, and the office's liaison does not "
                      "sign them: upgrade liaison at the office (the city office may open a "
                      "migration window with hub serve --allow-unsigned)"));
  }
  auto bound = door().BindReplicaTo(office, hello.replica_id);
  if (!bound.ok()) return End(Refuse(RC::kInternal, bound.status().message()));
  if (!bound->empty()) return End(Refuse(RC::kIdentity, *bound));
  // An office that does not know the `reseed` code gets `identity`, with the same reason.
  if (!behind->empty()) return End(Refuse(retention ? RC::kReseed : RC::kIdentity, *behind));
  replica_id = hello.replica_id;
  schema_version = version;
  skew_ms = static_cast<std::int64_t>(hello.wall_ms) - static_cast<std::int64_t>(WallMillis());
  auto watermark = Watermark();
  if (!watermark.ok()) return End(Refuse(RC::kInternal, watermark.status().message()));
  phase = Phase::kReady;
  wire::Welcome welcome;
  welcome.schema_version = static_cast<std::uint32_t>(hub_version);
  welcome.hub_replica_id = info().replica_id.value();
  welcome.hub_office_id = info().office_id.value();
  welcome.office_id = office;
  signed_push = !certificate.empty() && (hello.capabilities & wire::kCapSignedPush) != 0;
  welcome.capabilities = wire::kCapReseed | (options().signer ? wire::kCapWitness : 0) |
                         (certificate.empty() ? 0 : wire::kCapSignedPush) |
                         wire::kCapRetention | (reseeding ? wire::kCapReseeding : 0);
  welcome.watermark = *watermark;
  welcome.max_frame_bytes = options().max_frame_bytes;
  welcome.max_batch_changes = options().max_batch_changes;
  welcome.wall_ms = WallMillis();
  return welcome;
}

wire::Message HubSession::State::OnPush(const Batch& batch, const std::string* signature) {
  using RC = wire::RefusalCode;
  if (signed_push && signature == nullptr) {
    return Refuse(RC::kBatch, "batch " + std::to_string(batch.batch) +
                                  " is not signed, though this office signs its batches");
  }
  if (!signed_push && signature != nullptr) {
    return Refuse(RC::kUnexpected, "a signed batch without kCapSignedPush on both sides");
  }
  if (batch.batch != last_batch + 1) {
    return Refuse(RC::kUnexpected, "batch " + std::to_string(batch.batch) + " after batch " +
                                       std::to_string(last_batch));
  }
  if (batch.changes.size() > options().max_batch_changes) {
    return Refuse(RC::kTooLarge, "batch of " + std::to_string(batch.changes.size()) +
                                     " changes; the limit is " +
                                     std::to_string(options().max_batch_changes));
  }
  for (size_t i = 0; i < batch.changes.size(); ++i) {
    const Change& c = batch.changes[i];
    if (c.origin.value() != replica_id) {
      return Refuse(RC::kBatch, "change " + std::to_string(i + 1) + " comes from replica " +
                                    c.origin.value() + ", not from " + replica_id);
    }
    if (i > 0 && c.seq != batch.changes[i - 1].seq.next()) {
      return Refuse(RC::kBatch, "changes are not consecutive at seq " + c.seq.ToString());
    }
  }
  // The signature covers every change of the batch, duplicates and quarantined ones
  // included: nothing of the batch is committed unless it verifies.
  const auto now = static_cast<std::int64_t>(WallMillis());
  std::optional<SignedBatch> to_check;
  if (signature != nullptr) {
    to_check = SignedBatch{office,
                           replica_id,
                           batch.changes.front().seq.value(),
                           batch.changes.back().seq.value(),
                           now,
                           {},
                           *signature,
                           certificate};
  }
  // If every change is new and merged, they become the chain's next entries.
  Result<std::int64_t> last_entry = audit_internal::LastChainEntry(db());
  if (!last_entry.ok()) return Refuse(RC::kInternal, last_entry.status().message());
  BatchCheck check(std::move(to_check), audit_internal::ExpectedEntries{*last_entry, now, office, &batch.changes, {}});
  // Merged without a savepoint per change; a change that breaks the schema rolls the
  // batch back, which is then merged again with one, keeping that change aside.
  Result<wire::Message> out = Push(batch, check, false);
  if (!out.ok() && out.status().code() == Status::Code::kConstraint) out = Push(batch, check, true);
  if (!out.ok()) return Refuse(RC::kInternal, out.status().message());
  last_batch = batch.batch;
  return std::move(*out);
}

Result<wire::Message> HubSession::State::Push(const Batch& batch, BatchCheck& check,
                                              bool careful) {
  LIAISON_ASSIGN_OR_RETURN(std::int64_t watermark, Watermark());
  if (!batch.changes.empty() && batch.changes.front().seq > Seq(watermark).next()) {
    return Refuse(wire::RefusalCode::kBatch,
                  "batch starts at seq " + batch.changes.front().seq.ToString() +
                      " but the hub holds only up to " + std::to_string(watermark));
  }
  wire::PushAck ack;
  ack.batch = batch.batch;
  LIAISON_ASSIGN_OR_RETURN(Admission admission,
                           door().Begin({office, replica_id, careful, /*changes_outlive=*/true}));
  for (const Change& c : batch.changes) {
    if (c.seq <= Seq(watermark)) {
      ++ack.duplicates;
      continue;
    }
    LIAISON_ASSIGN_OR_RETURN(hub_internal::Verdict verdict, admission.Admit(c));
    if (verdict.outcome == hub_internal::Verdict::Outcome::kKeptAside) {
      ack.quarantined.push_back(wire::Quarantined{c.seq.value(), Shorten(verdict.reason)});
    }
  }
  LIAISON_ASSIGN_OR_RETURN(bool signature_valid, check.Wait());
  if (!signature_valid) {  // the admission rolls the batch back
    return Refuse(wire::RefusalCode::kBatch, "the signature of batch " + std::to_string(batch.batch) +
                                                 " does not verify with the office's certificate");
  }
  const SignedBatch* signed_batch = check.signed_batch() ? &*check.signed_batch() : nullptr;
  LIAISON_RETURN_IF_ERROR(admission.Seal(signed_batch, &check.entries()));
  const ApplyStats& stats = admission.stats();
  ack.applied = stats.applied;
  ack.duplicates += stats.duplicates;
  ack.conflicts = stats.conflicts;
  LIAISON_ASSIGN_OR_RETURN(ack.watermark, Watermark());
  summary.pushed += ack.applied;
  summary.duplicates += ack.duplicates;
  summary.conflicts += ack.conflicts;
  summary.quarantined += static_cast<std::int64_t>(ack.quarantined.size());
  return wire::Message(std::move(ack));
}

// Records the office's acknowledgement (HUB.md, "Retention") and answers with the
// last cleaning.
Result<wire::Message> HubSession::State::OnRetentionRequest(const wire::RetentionRequest& request) {
  if (!retention) {
    return Refuse(wire::RefusalCode::kUnexpected,
                  "a RetentionRequest without kCapRetention on both sides");
  }
  if (!compared) {
    return Refuse(wire::RefusalCode::kUnexpected,
                  "a RetentionRequest before the scope digests were compared");
  }
  LIAISON_ASSIGN_OR_RETURN(LogPosition head, Head());
  LIAISON_ASSIGN_OR_RETURN(std::int64_t watermark, Watermark());
  wire::Retention out;
  // A replica about to be re-seeded acknowledges nothing: it is retired at the end.
  out.acknowledged = !reseeding && request.acknowledged.own <= head.own &&
                     request.acknowledged.received <= head.received && request.pushed <= watermark;
  if (out.acknowledged) {
    LIAISON_RETURN_IF_ERROR(hub_internal::RecordAck(db(), replica_id, office, request.acknowledged,
                                                    static_cast<std::int64_t>(WallMillis())));
  }
  LIAISON_ASSIGN_OR_RETURN(std::optional<HubCleaning> last, LastHubCleaning(db()));
  if (last) {
    out.cleaned_ms = last->horizon.cleaned_ms;
    out.position = last->horizon.position;
    out.horizon = last->horizon.ToWire();
    // Entries that do not fit the frame are left out: the office cleans less.
    const std::size_t room = (options().max_frame_bytes - 64) / (8 + wire::kMaxIdBytes + 8);
    if (out.horizon.size() > room) out.horizon.resize(room);
  }
  summary.acknowledged = out.acknowledged;
  return wire::Message(std::move(out));
}

// Whether `c` goes to this office: not its own, in its scope, storable at its schema.
Result<bool> HubSession::State::Deliverable(const Change& c, RowScopes& scopes,
                                            const TableColumns& tables) {
  if (c.origin.value() == replica_id) return false;
  auto table = tables.find(c.table);
  if (table == tables.end()) return false;  // held back until the office upgrades
  for (const auto& cv : c.values) {
    if (!table->second.contains(cv.column)) return false;
  }
  // An insert names its owner: the logs need no search when its row is gone.
  const bool insert = c.op == ChangeOp::kInsert;
  LIAISON_ASSIGN_OR_RETURN(std::optional<RowScope> scope, scopes.Find(c.table, c.pk, !insert));
  if (!scope) scope = hub_internal::ScopeFromValues(c, nullptr);
  return scope && hub_internal::InScope(*scope, office, info().office_id.value());
}

Result<wire::Message> HubSession::State::Pull(const wire::PullRequest& request) {
  std::uint32_t limit = options().max_batch_changes;
  if (request.max_changes > 0 && request.max_changes < limit) limit = request.max_changes;
  if (request.after.own < 0 || request.after.received < 0) {
    return Refuse(wire::RefusalCode::kMalformed, "negative cursor");
  }
  // The scan bound keeps one request short when little of the log is in scope.
  LIAISON_ASSIGN_OR_RETURN(wire::PullBatch out,
                           Collect(request.after, limit, 50 * static_cast<std::int64_t>(limit)));
  summary.pulled += static_cast<std::int64_t>(out.changes.size());
  return wire::Message(std::move(out));
}

// Up to `limit` changes for this office past `after`, within one frame, looking at
// no more than `max_scanned` changes of the log.
Result<wire::PullBatch> HubSession::State::Collect(const LogPosition& after, std::uint32_t limit,
                                                   std::int64_t max_scanned) {
  LIAISON_ASSIGN_OR_RETURN(const TableColumns* tables, hub->TablesAt(schema_version));
  LIAISON_ASSIGN_OR_RETURN(RowScopes scopes, RowScopes::Prepare(db()));
  // Room for the frame's own fields around the changes.
  const std::size_t budget = options().max_frame_bytes - 256;
  wire::PullBatch out;
  std::size_t bytes = 0;
  std::int64_t scanned = 0;
  LIAISON_ASSIGN_OR_RETURN(ChangeReader reader,
                           ChangeReader::OpenAfter(hub->replica, after, replica_id));
  LogPosition before = reader.position();
  for (;;) {
    if (out.changes.size() >= limit || scanned >= max_scanned) {
      out.more = true;
      break;
    }
    before = reader.position();
    LIAISON_ASSIGN_OR_RETURN(std::optional<Change> c, reader.Next());
    if (!c) break;
    ++scanned;
    LIAISON_ASSIGN_OR_RETURN(bool deliver, Deliverable(*c, scopes, *tables));
    if (!deliver) continue;
    LIAISON_ASSIGN_OR_RETURN(std::size_t size, wire::EncodedChangeBytes(*c));
    if (bytes + size > budget) {
      if (out.changes.empty()) {
        return Status::Internal("change " + c->name() + " does not fit in a frame of " +
                                std::to_string(options().max_frame_bytes) + " bytes");
      }
      out.more = true;
      out.next = before;
      return out;
    }
    bytes += size;
    out.changes.push_back(std::move(*c));
  }
  out.next = reader.position();
  return out;
}

Result<LogPosition> HubSession::State::Head() {
  LIAISON_ASSIGN_OR_RETURN(std::int64_t own,
                           db().QueryInt("SELECT coalesce(max(seq), 0) FROM _sync_changes"));
  LIAISON_ASSIGN_OR_RETURN(std::int64_t received,
                           db().QueryInt("SELECT coalesce(max(pos), 0) FROM _sync_received"));
  return LogPosition{own, received};
}

Result<std::string> HubSession::State::ScopeDigest() {
  LIAISON_ASSIGN_OR_RETURN(const TableColumns* tables, hub->TablesAt(schema_version));
  std::vector<std::string> names;
  for (const auto& [name, columns] : *tables) names.push_back(name);
  return DigestTables(db(), hub_internal::ScopeConditions(names, office, info().office_id.value()));
}

Result<wire::Message> HubSession::State::OnVerify(const wire::Verify& verify) {
  // Anything in the office's scope past its cursor means the master copy moved on
  // while the office pulled: it must pull again before the comparison means anything.
  if (verify.at.own < 0 || verify.at.received < 0) {
    return Refuse(wire::RefusalCode::kMalformed, "negative cursor");
  }
  LIAISON_ASSIGN_OR_RETURN(wire::PullBatch pending, Collect(verify.at, 1, 1'000'000));
  LIAISON_ASSIGN_OR_RETURN(LogPosition head, Head());
  wire::Verdict verdict;
  verdict.hub_sequence = head.sequence();
  if (!pending.changes.empty() || pending.more) return wire::Message(verdict);
  LIAISON_ASSIGN_OR_RETURN(verdict.hub_digest, ScopeDigest());
  verdict.equal = verdict.hub_digest == verify.digest;
  compared = true;
  summary.verified = verdict.equal;
  summary.hub_sequence = verdict.hub_sequence;
  LIAISON_RETURN_IF_ERROR(
      hub_internal::RecordComparison(db(), office, verdict.equal, verdict.hub_sequence));
  return wire::Message(std::move(verdict));
}

Result<wire::Message> HubSession::State::OnWitnessRequest(const wire::WitnessRequest& request) {
  if (!options().signer) {
    return Refuse(wire::RefusalCode::kUnexpected, "this hub signs no checkpoints");
  }
  if (!checkpoint) {
    // The city office's edits since the last chaining enter the chain first.
    LIAISON_RETURN_IF_ERROR(door().ChainOwnEdits());
    LIAISON_ASSIGN_OR_RETURN(Checkpoint signed_now, SignCheckpoint(hub->replica, *options().signer));
    checkpoint = std::move(signed_now);
  }
  wire::Witness out;
  out.n = checkpoint->n;
  out.head = checkpoint->head;
  out.signed_ms = checkpoint->signed_ms;
  out.signature = checkpoint->signature;
  out.certificate = checkpoint->certificate;
  out.from = request.from;
  // From 0 the office has nothing to extend; past n it saw a longer chain than this
  // one, which it finds out from n alone.
  if (request.from > 0 && request.from < checkpoint->n) {
    // The frame's other fields take 98 bytes besides the signature and certificate.
    const std::int64_t room = static_cast<std::int64_t>(options().max_frame_bytes) - 128 -
                              static_cast<std::int64_t>(out.certificate.size() + out.signature.size());
    const std::int64_t count =
        std::min(checkpoint->n - request.from, std::min<std::int64_t>(room / 32, 100'000));
    if (count <= 0) return Status::Internal("a frame cannot hold the checkpoint and one link");
    LIAISON_ASSIGN_OR_RETURN(out.links, ChainLinks(hub->replica, request.from, count));
  }
  summary.witnessed = checkpoint->n;
  return wire::Message(std::move(out));
}

void HubSession::Close() {
  State& s = *state_;
  if (s.closed) return;
  s.closed = true;
  std::string result = "cut";
  if (!s.summary.refusal.empty()) {
    result = "refused: " + s.summary.refusal;
  } else if (s.summary.complete) {
    result = s.summary.verified ? "complete" : "complete, scope differs";
  }
  if (s.replica_id.empty() && s.summary.refusal.empty() && s.phase == State::Phase::kHello) return;
  if (s.unrecorded) return;
  if (s.reseeding && s.summary.complete) {
    Status retired = hub_internal::RetireReplica(s.db(), s.replica_id, s.office,
                                                 static_cast<std::int64_t>(WallMillis()));
    if (!retired.ok()) {
      // The replica then still counts: cleanings wait for it (nothing unsafe), until
      // it lapses. Said in the session's result rather than lost.
      result += ", retiring the replica failed: " + retired.message();
    }
  }
  (void)hub_internal::RecordSync(s.db(), s.office, result, s.summary, s.skew_ms);
}

}  // namespace liaison
