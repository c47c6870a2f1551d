// The office's side of a sync round (liaison/office_sync.h): push own changes above
// the hub's watermark, pull the hub's changes in scope from the saved cursor, compare
// digests, acknowledge and clean by the hub's retention horizon.
#include "liaison/capture.h"
#include "liaison/cleaning.h"
#include "liaison/digest.h"
#include "liaison/hlc.h"
#include "liaison/pki.h"
#include "liaison/retention_horizon.h"
#include "protocol/scope_rule.h"
#include "sync/office_state.h"

namespace liaison {
namespace {

constexpr int kMaxVerifyAttempts = 3;

}  // namespace

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
  LIAISON_ASSIGN_OR_RETURN(start_seq,
                           db().QueryInt("SELECT coalesce(max(seq), 0) FROM _sync_changes"));
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
  LIAISON_ASSIGN_OR_RETURN(
      push_total,
      db().QueryInt("SELECT count(*) FROM _sync_changes WHERE seq > " +
                    std::to_string(w.watermark) + " AND seq <= " + std::to_string(push_end)));
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
        options.signer->Sign(BatchMessage(read->changes.front().origin.value(),
                                          read->changes.front().seq.value(),
                                          read->changes.back().seq.value(), digests)));
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
        return Status::FailedPrecondition("change " + c->seq.ToString() + " (" +
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
  return DigestTables(db(),
                      ScopeConditions(names, replica->info().office_id.value(), hub.hub_office_id));
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

}  // namespace liaison
