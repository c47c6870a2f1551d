// The audit chain (liaison/audit.h, engine/audit/AUDIT.md).
#include <chrono>
#include <map>

#include "audit/batches.h"
#include "base/hex.h"
#include "base/sha256.h"
#include "audit/chain_writer.h"
#include "liaison/audit.h"
#include "liaison/hlc.h"
#include "liaison/merger.h"
#include "protocol/codec.h"

namespace liaison {

using audit_internal::ExpectedEntries;

namespace {

using protocol_internal::EncodeArchive;
using protocol_internal::Out;
using protocol_internal::SaveStr;

// The fields of an entry, for cereal.
struct EntryFields {
  std::uint64_t n = 0;
  std::uint64_t accepted_ms = 0;
  const std::string* office = nullptr;
  const Change* change = nullptr;
};

void save(Out& ar, const EntryFields& e) {
  ar(e.n, e.accepted_ms);
  SaveStr(ar, *e.office);
  ar(*e.change);
}

// The office each change is attributed to (AUDIT.md), by origin replica.
class Offices {
 public:
  // The bindings are the hub's (`_sync_hub_replicas`, engine/hub/HUB.md "Identity"),
  // read here and never created: a master copy no hub has opened has none, and its
  // offices' changes are attributed to "?".
  static Result<Offices> Prepare(Replica& hub) {
    LIAISON_ASSIGN_OR_RETURN(bool bindings, hub.db().HasTable("_sync_hub_replicas"));
    std::optional<Stmt> bound;
    if (bindings) {
      LIAISON_ASSIGN_OR_RETURN(
          Stmt stmt,
          hub.db().Prepare("SELECT office_id FROM _sync_hub_replicas WHERE replica_id = ?"));
      bound.emplace(std::move(stmt));
    }
    return Offices(hub, std::move(bound));
  }

  Result<std::string> Of(const std::string& origin) {
    auto it = known_.find(origin);
    if (it != known_.end()) return it->second;
    std::string office = "?";
    if (origin == self_) {
      office = own_office_;
    } else if (bound_) {
      bound_->Reset();
      bound_->Bind(1, std::string_view(origin));
      LIAISON_ASSIGN_OR_RETURN(bool found, bound_->Step());
      if (found) office = bound_->Text(0);
      bound_->Reset();
    }
    return known_.emplace(origin, office).first->second;
  }

 private:
  Offices(Replica& hub, std::optional<Stmt> bound)
      : self_(hub.info().replica_id.value()),
        own_office_(hub.info().office_id.value()),
        bound_(std::move(bound)) {}
  std::string self_, own_office_;
  std::optional<Stmt> bound_;
  std::map<std::string, std::string> known_;
};

Status RequireHub(Replica& replica) {
  if (replica.info().role != Role::kHub) {
    return Status::FailedPrecondition("the audit chain belongs to the hub's master copy");
  }
  return Status::Ok();
}

}  // namespace

std::string GenesisHead() { return Sha256("liaison audit chain 1", ""); }

std::string EntryDigest(std::string_view entry) { return Sha256(entry, ""); }

std::string ChainLink(const std::string& previous_head, std::string_view entry_digest) {
  return Sha256(previous_head, entry_digest);
}

std::string ChainStep(const std::string& previous_head, const std::string& entry) {
  return ChainLink(previous_head, EntryDigest(entry));
}

std::string HexBytes(std::string_view bytes) { return HexEncode(bytes); }

Result<std::string> EncodeAuditEntry(std::int64_t n, std::int64_t accepted_ms,
                                     const std::string& office, const Change& change) {
  EntryFields fields{static_cast<std::uint64_t>(n), static_cast<std::uint64_t>(accepted_ms),
                     &office, &change};
  return EncodeArchive(fields);
}

namespace {

// The chain's last entry: its number, the log position it covers and its head.
struct ChainEnd {
  std::int64_t n = 0;
  LogPosition after;
  std::string head = GenesisHead();
};

Result<ChainEnd> LastEntry(Db& db) {
  ChainEnd end;
  LIAISON_ASSIGN_OR_RETURN(
      Stmt last, db.Prepare("SELECT n, own, received, hash FROM _sync_audit ORDER BY n DESC LIMIT 1"));
  LIAISON_ASSIGN_OR_RETURN(bool found, last.Step());
  if (found) {
    end.n = last.Int(0);
    end.after = LogPosition{last.Int(1), last.Int(2)};
    end.head = last.Blob(3);
  }
  return end;
}

// Appends entries to `_sync_audit`, one call per change, in log order.
class ChainWriter {
 public:
  static Result<ChainWriter> Start(Replica& hub, ChainEnd end) {
    Db& db = hub.db();
    LIAISON_ASSIGN_OR_RETURN(Offices offices, Offices::Prepare(hub));
    LIAISON_ASSIGN_OR_RETURN(
        Stmt append, db.Prepare("INSERT INTO _sync_audit(n, accepted_ms, office, own, received, "
                                "hash) VALUES(?, ?, ?, ?, ?, ?)"));
    return ChainWriter(hub, std::move(end), std::move(offices), std::move(append));
  }

  // Takes the accepted time and the entry digests `expected` has, where they fit.
  void Use(const ExpectedEntries* expected) {
    expected_ = expected;
    if (expected_ != nullptr) now_ = expected_->accepted_ms;
  }

  // `c` is the change at log position `at`.
  Status Append(const Change& c, const LogPosition& at) {
    ++end_.n;
    if (at.sequence() != end_.n) {
      return Status::Corruption("the master log's position " + std::to_string(at.own) + "+" +
                                std::to_string(at.received) + " does not match chain entry " +
                                std::to_string(end_.n));
    }
    LIAISON_ASSIGN_OR_RETURN(std::string office, offices_.Of(c.origin.value()));
    // A hub's own change entered the master copy when it was written.
    const std::int64_t accepted =
        c.origin == self_ ? static_cast<std::int64_t>(c.hlc.millis()) : now_;
    if (const std::string* digest = Expected(c, office)) {
      end_.head = ChainLink(end_.head, *digest);
    } else {
      LIAISON_ASSIGN_OR_RETURN(std::string entry, EncodeAuditEntry(end_.n, accepted, office, c));
      end_.head = ChainStep(end_.head, entry);
    }
    append_.Reset();
    append_.Bind(1, end_.n)
        .Bind(2, accepted)
        .Bind(3, std::string_view(office))
        .Bind(4, at.own)
        .Bind(5, at.received)
        .BindBlob(6, end_.head);
    return append_.Run();
  }

  std::int64_t n() const { return end_.n; }

 private:
  ChainWriter(Replica& hub, ChainEnd end, Offices offices, Stmt append)
      : self_(hub.info().replica_id),
        end_(std::move(end)),
        offices_(std::move(offices)),
        append_(std::move(append)) {}

  ReplicaId self_;
  ChainEnd end_;
  Offices offices_;
  Stmt append_;
  // The digest `expected_` has for `c` as entry end_.n under `office`, if any.
  const std::string* Expected(const Change& c, const std::string& office) const {
    if (expected_ == nullptr || c.origin == self_ || office != expected_->office) return nullptr;
    const std::int64_t k = end_.n - expected_->first_n - 1;
    const std::vector<Change>& changes = *expected_->changes;
    if (k < 0 || k >= static_cast<std::int64_t>(expected_->digests.size()) ||
        &c != &changes[static_cast<std::size_t>(k)]) {
      return nullptr;
    }
    return &expected_->digests[static_cast<std::size_t>(k)];
  }

  std::int64_t now_ = static_cast<std::int64_t>(WallMillis());
  const ExpectedEntries* expected_ = nullptr;
};

// True when `recorded` is exactly the log past `after`, each change stored as given:
// no own change since, and relay positions after.received + 1, + 2, ... to the end.
Result<bool> RecordedAreTheTail(Db& db, const LogPosition& after,
                                const std::vector<RecordedChange>& recorded) {
  if (recorded.empty()) return false;
  for (std::size_t i = 0; i < recorded.size(); ++i) {
    if (recorded[i].stored == nullptr ||
        recorded[i].pos != after.received + 1 + static_cast<std::int64_t>(i)) {
      return false;
    }
  }
  LIAISON_ASSIGN_OR_RETURN(std::int64_t own,
                           db.QueryInt("SELECT coalesce(max(seq), 0) FROM _sync_changes"));
  LIAISON_ASSIGN_OR_RETURN(std::int64_t received,
                           db.QueryInt("SELECT coalesce(max(pos), 0) FROM _sync_received"));
  return own == after.own && received == recorded.back().pos;
}

Result<std::int64_t> Extend(Replica& hub, const std::vector<RecordedChange>* recorded,
                            const ExpectedEntries* expected) {
  LIAISON_RETURN_IF_ERROR(RequireHub(hub));
  Db& db = hub.db();
  LIAISON_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginOrJoin(db));
  LIAISON_ASSIGN_OR_RETURN(ChainEnd end, LastEntry(db));
  const std::int64_t first = end.n;
  const LogPosition after = end.after;
  LIAISON_ASSIGN_OR_RETURN(ChainWriter writer, ChainWriter::Start(hub, std::move(end)));
  bool from_memory = false;
  if (recorded != nullptr) {
    LIAISON_ASSIGN_OR_RETURN(from_memory, RecordedAreTheTail(db, after, *recorded));
  }
  if (from_memory) {
    writer.Use(expected);
    for (const RecordedChange& r : *recorded) {
      LIAISON_RETURN_IF_ERROR(writer.Append(*r.stored, LogPosition{after.own, r.pos}));
    }
  } else {
    LIAISON_ASSIGN_OR_RETURN(ChangeReader reader, ChangeReader::OpenAfter(hub, after));
    for (;;) {
      LIAISON_ASSIGN_OR_RETURN(std::optional<Change> c, reader.Next());
      if (!c) break;
      LIAISON_RETURN_IF_ERROR(writer.Append(*c, reader.position()));
    }
  }
  LIAISON_RETURN_IF_ERROR(txn.Commit());
  return writer.n() - first;
}

}  // namespace

Result<std::int64_t> ExtendChain(Replica& hub) { return Extend(hub, nullptr, nullptr); }

namespace audit_internal {

Result<std::int64_t> ExtendChain(Replica& hub, const std::vector<RecordedChange>& recorded,
                                 const ExpectedEntries* expected) {
  return Extend(hub, &recorded, expected);
}

Status DigestExpectedEntries(ExpectedEntries& f) {
  f.digests.clear();
  f.digests.reserve(f.changes->size());
  std::int64_t n = f.first_n;
  for (const Change& c : *f.changes) {
    LIAISON_ASSIGN_OR_RETURN(std::string entry, EncodeAuditEntry(++n, f.accepted_ms, f.office, c));
    f.digests.push_back(EntryDigest(entry));
  }
  return Status::Ok();
}

Result<std::int64_t> LastChainEntry(Db& db) {
  LIAISON_ASSIGN_OR_RETURN(bool has_table, db.HasTable("_sync_audit"));
  if (!has_table) return 0;
  return db.QueryInt("SELECT coalesce(max(n), 0) FROM _sync_audit");
}

}  // namespace audit_internal

Result<ChainReport> WalkChain(Replica& hub, const EntryVisitor& visit) {
  LIAISON_RETURN_IF_ERROR(RequireHub(hub));
  Db& db = hub.db();
  ChainReport report;
  std::string head = GenesisHead();
  LIAISON_ASSIGN_OR_RETURN(bool has_table, db.HasTable("_sync_audit"));
  LIAISON_ASSIGN_OR_RETURN(ChangeReader reader, ChangeReader::OpenAfter(hub, LogPosition{}));
  auto bad = [&](std::int64_t n, std::string problem) {
    report.bad_entry = n;
    report.problem = std::move(problem);
    return report;
  };
  LIAISON_ASSIGN_OR_RETURN(std::vector<SignedBatch> signed_batches,
                           audit_internal::LoadSignedBatches(db));
  audit_internal::BatchChecker batches(hub.info().replica_id.value(), std::move(signed_batches));
  LIAISON_ASSIGN_OR_RETURN(std::vector<Checkpoint> signed_checkpoints,
                           audit_internal::LoadCheckpoints(db));
  const audit_internal::CheckpointChecker checkpoints(std::move(signed_checkpoints));
  if (std::string problem = checkpoints.Check(0, head, report); !problem.empty()) {
    return bad(0, problem);
  }
  if (has_table) {
    LIAISON_ASSIGN_OR_RETURN(
        Stmt rows, db.Prepare("SELECT n, accepted_ms, office, own, received, hash FROM _sync_audit "
                              "ORDER BY n"));
    for (std::int64_t n = 1;; ++n) {
      LIAISON_ASSIGN_OR_RETURN(bool row, rows.Step());
      if (!row) break;
      if (rows.Int(0) != n) {
        return bad(n, "chain entry " + std::to_string(n) + " is missing (the next row is " +
                          std::to_string(rows.Int(0)) + ")");
      }
      Result<std::optional<Change>> c = reader.Next();
      if (!c.ok()) {
        return bad(n, "change " + std::to_string(n) + " cannot be read: " + c.status().message());
      }
      if (!*c) return bad(n, "the master log holds no change " + std::to_string(n));
      const LogPosition& at = reader.position();
      if (at.own != rows.Int(3) || at.received != rows.Int(4)) {
        return bad(n, "change " + std::to_string(n) + " is not where the chain put it: a change "
                          "was inserted, removed or moved before it");
      }
      ChainEntry entry{n, rows.Int(1), rows.Text(2), &**c, {}, {}, {}};
      LIAISON_ASSIGN_OR_RETURN(std::string bytes,
                               EncodeAuditEntry(n, entry.accepted_ms, entry.office, *entry.change));
      std::string next = ChainStep(head, bytes);
      if (next != rows.Blob(5)) {
        return bad(n, "entry " + std::to_string(n) + " does not match its hash: the change (" +
                          entry.change->table + " " + entry.change->pk +
                          "), its time or its office was altered");
      }
      head = std::move(next);
      entry.head = head;
      entry.bytes = bytes;
      std::string problem = checkpoints.Check(n, head, report);
      if (!problem.empty()) return bad(n, problem);
      LIAISON_ASSIGN_OR_RETURN(
          problem, batches.Check(n, entry.office, *entry.change, bytes, entry.signed_by, report));
      if (!problem.empty()) return bad(n, problem);
      report.entries = n;
      if (visit) LIAISON_RETURN_IF_ERROR(visit(entry));
    }
  }
  if (std::string problem = checkpoints.AfterEnd(report.entries); !problem.empty()) {
    return bad(report.entries + 1, problem);
  }
  report.head = HexEncode(head);
  for (;;) {
    Result<std::optional<Change>> next = reader.Next();
    if (!next.ok()) {
      return bad(report.entries + 1,
                 "a change past the chain cannot be read: " + next.status().message());
    }
    const std::optional<Change>& c = *next;
    if (!c) break;
    if (c->origin != hub.info().replica_id) {
      return bad(report.entries + 1, "received change " + c->name() + " (" + c->table + " " +
                                         c->pk + ") is in the master log but not in the chain");
    }
    ++report.own_unchained;
  }
  return report;
}

Result<ChainReport> VerifyChain(Replica& hub) { return WalkChain(hub, nullptr); }

}  // namespace liaison
