// MasterLog and Admission: the one door into the master copy (master_log.h).
#include "hub/master_log.h"

#include <map>

#include "hub/hub_tables.h"
#include "liaison/hlc.h"

namespace liaison::hub_internal {

MasterLog::MasterLog(Replica& hub, const HubOptions& options) : hub_(hub), options_(options) {}

bool MasterLog::is_hub_office(const std::string& office) const {
  return office == hub_.info().office_id.value();
}

Result<std::string> MasterLog::Identify(const std::string& office,
                                        const std::string& replica_id, bool registered) {
  LIAISON_ASSIGN_OR_RETURN(std::string refused, CheckOffice(office, registered));
  if (!refused.empty()) return refused;
  return BindReplicaTo(office, replica_id);
}

Result<std::string> MasterLog::CheckOffice(const std::string& office, bool registered) {
  Db& db = hub_.db();
  if (is_hub_office(office)) {
    return "the certificate names " + office +
           ", the hub's own office: no office may write as the hub (issue each office a "
           "certificate of its own id with liaison pki issue)";
  }
  if (registered) {
    LIAISON_ASSIGN_OR_RETURN(Stmt known,
                             db.Prepare("SELECT count(*) FROM offices WHERE id = ?"));
    known.Bind(1, std::string_view(office));
    LIAISON_ASSIGN_OR_RETURN(bool row, known.Step());
    if (!row || known.Int(0) == 0) {
      return "the certificate names " + office +
             ", which is not an office of the master copy: the city office adds it first "
             "(liaison office add)";
    }
  }
  return std::string();
}

Result<std::string> MasterLog::BindReplicaTo(const std::string& office,
                                             const std::string& replica_id) {
  if (replica_id == hub_.info().replica_id.value()) {
    return "replica " + replica_id + " is the hub's own";
  }
  LIAISON_ASSIGN_OR_RETURN(std::string bound, BindReplica(hub_.db(), replica_id, office));
  if (bound != office) {
    return "replica " + replica_id + " belongs to office " + bound + ", not " + office;
  }
  return std::string();
}

Status MasterLog::ChainOwnEdits() { return ExtendChain(hub_).status(); }

struct Admission::State {
  MasterLog* door = nullptr;
  Writer writer;
  std::optional<Merger> merger;
  std::optional<RowScopes> scopes;
  // Per origin whose changes are left (Verdict::kLeft): the contiguous seq the hub
  // held when the admission began, read once.
  std::map<std::string, std::int64_t> held_before;

  Db& db() { return door->hub_.db(); }
  const std::string& hub_replica() { return door->hub_.info().replica_id.value(); }

  // The office that wrote `c`, as far as the hub can tell; nullopt when the change
  // must be left for its own office to deliver (Verdict::kLeft).
  Result<std::optional<std::string>> WriterOf(const Change& c) {
    if (c.origin.value() == writer.replica_id) return std::optional<std::string>(writer.office);
    if (c.origin.value() == hub_replica()) {
      return std::optional<std::string>(door->hub_.info().office_id.value());
    }
    if (!door->options_.allow_unsigned) return std::optional<std::string>();
    LIAISON_ASSIGN_OR_RETURN(std::optional<std::string> bound, BoundOffice(db(), c.origin.value()));
    return bound;
  }

  // Rules 3 to 5 and the first half of 6 (master_log.h): why `c`, written by
  // `office`, must be kept aside, or "".
  Result<std::string> Refusal(const Change& c, const std::string& office) {
    LIAISON_ASSIGN_OR_RETURN(std::string dead, door->guard_.Check(db(), c));
    if (!dead.empty()) return dead;
    if (!door->is_hub_office(office)) {
      LIAISON_ASSIGN_OR_RETURN(std::string foreign, OutOfScope(c, office));
      if (!foreign.empty()) return foreign;
    }
    const std::int64_t ahead_ms =
        static_cast<std::int64_t>(c.hlc.millis()) - static_cast<std::int64_t>(WallMillis());
    const std::int64_t limit_ms = door->options_.max_clock_ahead_ms;
    if (ahead_ms > limit_ms) {
      return "clock " + std::to_string(ahead_ms / 1000) + " s ahead of the hub's (limit " +
             std::to_string(limit_ms / 1000) + " s)";
    }
    Status valid = merger->Validate(c);
    if (!valid.ok()) return "invalid change: " + valid.message();
    return std::string();
  }

  // Rule 4: an office writes only rows it owns, and leaves them owned by it.
  Result<std::string> OutOfScope(const Change& c, const std::string& office) {
    // An insert may name a row the hub holds already (a concurrent insert of the same
    // id): it is then judged as a write to that row.
    const bool insert = c.op == ChangeOp::kInsert;
    LIAISON_ASSIGN_OR_RETURN(std::optional<RowScope> before,
                             scopes->Find(c.table, c.pk, /*search_logs=*/!insert));
    if (!before && !insert) return "row " + c.table + " " + c.pk + " is unknown at the hub";
    if (before && before->owner != office) {
      return "row " + c.table + " " + c.pk + " belongs to " + before->owner + ", not " + office;
    }
    if (c.op == ChangeOp::kDelete) return std::string();
    std::optional<RowScope> after = ScopeFromValues(c, before ? &*before : nullptr);
    if (c.op == ChangeOp::kInsert && !after) return std::string("insert without an owner");
    if (after && after->owner != office) {
      return c.op == ChangeOp::kInsert ? "new row " + c.table + " " + c.pk + " is owned by " +
                                             after->owner + ", not " + office
                                       : "update would move row " + c.table + " " + c.pk +
                                             " to " + after->owner;
    }
    return std::string();
  }

  // Keeps an office's signed batch, once: the same bundle imported twice keeps one.
  Status KeepOnce(const SignedBatch& batch) {
    LIAISON_ASSIGN_OR_RETURN(
        Stmt kept, db().Prepare("SELECT count(*) FROM _sync_batches WHERE origin = ? AND "
                                "first_seq = ? AND last_seq = ? AND signature = ?"));
    kept.Bind(1, std::string_view(batch.origin))
        .Bind(2, batch.first_seq)
        .Bind(3, batch.last_seq)
        .BindBlob(4, batch.signature);
    LIAISON_ASSIGN_OR_RETURN(bool row, kept.Step());
    if (row && kept.Int(0) > 0) return Status::Ok();
    return KeepSignedBatch(db(), batch);
  }

  Result<std::int64_t> HeldBefore(const std::string& origin) {
    auto it = held_before.find(origin);
    if (it != held_before.end()) return it->second;
    LIAISON_ASSIGN_OR_RETURN(
        Stmt held, db().Prepare("SELECT coalesce((SELECT contiguous_seq FROM _sync_origins WHERE "
                                "origin = ?), 0)"));
    held.Bind(1, std::string_view(origin));
    LIAISON_ASSIGN_OR_RETURN(bool row, held.Step());
    return held_before.emplace(origin, row ? held.Int(0) : 0).first->second;
  }

  Result<Verdict> KeepAside(const Change& c, const std::string& office, std::string reason) {
    LIAISON_ASSIGN_OR_RETURN(bool fresh, merger->Skip(c));
    if (!fresh) return Verdict{Verdict::Outcome::kKnown, {}};
    LIAISON_RETURN_IF_ERROR(Quarantine(db(), office, c, reason));
    return Verdict{Verdict::Outcome::kKeptAside, std::move(reason)};
  }
};

Result<Admission> MasterLog::Begin(const Writer& writer) {
  auto s = std::make_unique<Admission::State>();
  s->door = this;
  s->writer = writer;
  LIAISON_ASSIGN_OR_RETURN(Merger merger, Merger::Begin(hub_));
  s->merger.emplace(std::move(merger));
  if (writer.changes_outlive) s->merger->RememberRecorded();
  LIAISON_RETURN_IF_ERROR(guard_.Refresh(hub_.db()));
  LIAISON_ASSIGN_OR_RETURN(RowScopes scopes, RowScopes::Prepare(hub_.db()));
  s->scopes.emplace(std::move(scopes));
  return Admission(std::move(s));
}

Admission::Admission(std::unique_ptr<State> state) : state_(std::move(state)) {}
Admission::Admission(Admission&&) noexcept = default;
Admission::~Admission() = default;  // the Merger rolls back unless committed

Result<Verdict> Admission::Admit(const Change& c) {
  State& s = *state_;
  LIAISON_ASSIGN_OR_RETURN(std::optional<std::string> office, s.WriterOf(c));
  if (!office) {
    LIAISON_ASSIGN_OR_RETURN(std::int64_t held, s.HeldBefore(c.origin.value()));
    if (c.seq <= Seq(held)) return Verdict{Verdict::Outcome::kKnown, {}};
    return Verdict{Verdict::Outcome::kLeft,
                   "relayed change of replica " + c.origin.value() +
                       " without its office's signature: left for that office to deliver"};
  }
  LIAISON_ASSIGN_OR_RETURN(std::string reason, s.Refusal(c, *office));
  if (!reason.empty()) return s.KeepAside(c, *office, std::move(reason));
  const std::int64_t applied = s.merger->stats().applied;
  if (c.op == ChangeOp::kDelete) LIAISON_RETURN_IF_ERROR(s.scopes->RememberBeforeDelete(c.table, c.pk));
  if (s.writer.careful) {
    LIAISON_ASSIGN_OR_RETURN(std::string broken, s.merger->ApplyOrRefuse(c));
    if (!broken.empty()) return s.KeepAside(c, *office, "breaks the schema: " + broken);
  } else {
    LIAISON_RETURN_IF_ERROR(s.merger->Apply(c));
  }
  return Verdict{s.merger->stats().applied > applied ? Verdict::Outcome::kMerged
                                                      : Verdict::Outcome::kKnown,
                 {}};
}

Status Admission::Seal(const SignedBatch* signed_batch, const audit_internal::ExpectedEntries* expected) {
  State& s = *state_;
  Replica& hub = s.door->hub_;
  // Chained in the transaction that accepts them (with any own edits made before).
  if (s.writer.changes_outlive) {
    LIAISON_RETURN_IF_ERROR(audit_internal::ExtendChain(hub, s.merger->recorded(), expected).status());
  } else {
    LIAISON_RETURN_IF_ERROR(ExtendChain(hub).status());
  }
  if (signed_batch != nullptr) LIAISON_RETURN_IF_ERROR(s.KeepOnce(*signed_batch));
  LIAISON_RETURN_IF_ERROR(s.merger->Commit());  // synchronous=FULL: durable from here
  return Status::Ok();
}

const ApplyStats& Admission::stats() const { return state_->merger->stats(); }

}  // namespace liaison::hub_internal
