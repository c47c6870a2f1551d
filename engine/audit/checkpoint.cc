// Signed checkpoints of the audit chain and the links that prove one extends another
// (liaison/audit.h, engine/audit/AUDIT.md "Checkpoints").
#include <map>
#include <optional>

#include "base/coding.h"
#include "base/sha256.h"
#include "liaison/audit.h"
#include "liaison/hlc.h"
#include "liaison/merger.h"
#include "liaison/pki.h"

namespace liaison {
namespace {

constexpr std::string_view kCheckpointDomain = "liaison checkpoint 1";

}  // namespace

std::string CheckpointMessage(std::int64_t n, std::string_view head, std::int64_t signed_ms) {
  std::string out(kCheckpointDomain);
  PutLe64(out, static_cast<std::uint64_t>(n));
  out.append(head);
  PutLe64(out, static_cast<std::uint64_t>(signed_ms));
  return out;
}

Result<Checkpoint> SignCheckpoint(Replica& hub, const Signer& signer) {
  Db& db = hub.db();
  LIAISON_ASSIGN_OR_RETURN(Transaction txn, Transaction::BeginOrJoin(db));
  Checkpoint cp;
  cp.head = GenesisHead();
  cp.certificate = signer.certificate_der();
  {
    LIAISON_ASSIGN_OR_RETURN(Stmt last,
                             db.Prepare("SELECT n, hash FROM _sync_audit ORDER BY n DESC LIMIT 1"));
    LIAISON_ASSIGN_OR_RETURN(bool found, last.Step());
    if (found) {
      cp.n = last.Int(0);
      cp.head = last.Blob(1);
    }
  }
  LIAISON_ASSIGN_OR_RETURN(
      Stmt signed_before,
      db.Prepare("SELECT head, signed_ms, signature FROM _sync_checkpoints WHERE n = ? AND "
                 "certificate = ?"));
  signed_before.Bind(1, cp.n).BindBlob(2, cp.certificate);
  LIAISON_ASSIGN_OR_RETURN(bool found, signed_before.Step());
  if (found) {
    if (signed_before.Blob(0) != cp.head) {
      return Status::Corruption("the checkpoint signed at entry " + std::to_string(cp.n) +
                                " does not match the chain's head there");
    }
    cp.signed_ms = signed_before.Int(1);
    cp.signature = signed_before.Blob(2);
    return cp;
  }
  cp.signed_ms = static_cast<std::int64_t>(WallMillis());
  LIAISON_ASSIGN_OR_RETURN(cp.signature, signer.Sign(CheckpointMessage(cp.n, cp.head, cp.signed_ms)));
  LIAISON_ASSIGN_OR_RETURN(
      Stmt insert, db.Prepare("INSERT INTO _sync_checkpoints(n, head, signed_ms, signature, "
                              "certificate) VALUES(?, ?, ?, ?, ?)"));
  insert.Bind(1, cp.n).BindBlob(2, cp.head).Bind(3, cp.signed_ms).BindBlob(4, cp.signature)
      .BindBlob(5, cp.certificate);
  LIAISON_RETURN_IF_ERROR(insert.Run());
  LIAISON_RETURN_IF_ERROR(txn.Commit());
  return cp;
}

Result<std::string> ChainLinks(Replica& hub, std::int64_t from, std::int64_t count) {
  Db& db = hub.db();
  if (from < 0 || count < 0) return Status::InvalidArgument("negative chain range");
  std::string links;
  if (count == 0) return links;
  LogPosition after;
  if (from > 0) {
    LIAISON_ASSIGN_OR_RETURN(Stmt at, db.Prepare("SELECT own, received FROM _sync_audit WHERE n = ?"));
    at.Bind(1, from);
    LIAISON_ASSIGN_OR_RETURN(bool found, at.Step());
    if (!found) return Status::NotFound("chain entry " + std::to_string(from) + " does not exist");
    after = LogPosition{at.Int(0), at.Int(1)};
  }
  LIAISON_ASSIGN_OR_RETURN(
      Stmt rows, db.Prepare("SELECT n, accepted_ms, office, own, received FROM _sync_audit WHERE "
                            "n > ? AND n <= ? ORDER BY n"));
  rows.Bind(1, from).Bind(2, from + count);
  LIAISON_ASSIGN_OR_RETURN(ChangeReader reader, ChangeReader::OpenAfter(hub, after));
  links.reserve(static_cast<std::size_t>(count) * 32);
  for (std::int64_t n = from + 1; n <= from + count; ++n) {
    LIAISON_ASSIGN_OR_RETURN(bool row, rows.Step());
    LIAISON_ASSIGN_OR_RETURN(std::optional<Change> c, reader.Next());
    if (!row || rows.Int(0) != n || !c || reader.position().own != rows.Int(3) ||
        reader.position().received != rows.Int(4)) {
      return Status::Corruption("the chain and the master log disagree at entry " +
                                std::to_string(n) + " (liaison audit verify)");
    }
    LIAISON_ASSIGN_OR_RETURN(std::string entry,
                             EncodeAuditEntry(n, rows.Int(1), rows.Text(2), *c));
    links += EntryDigest(entry);
  }
  return links;
}

Result<bool> CheckpointSignatureValid(const Checkpoint& checkpoint) {
  return SignatureIsValid(checkpoint.certificate,
                          CheckpointMessage(checkpoint.n, checkpoint.head, checkpoint.signed_ms),
                          checkpoint.signature);
}

bool WitnessReport::ok() const {
  if (!chain.ok()) return false;
  for (const WitnessFinding& f : findings) {
    if (!f.matches || !f.extended) return false;
  }
  return true;
}

Result<WitnessReport> CompareWitness(const ChainSource& source, const std::string& hub_replica_id,
                                     Replica& office) {
  WitnessReport report;
  LIAISON_ASSIGN_OR_RETURN(bool kept, office.db().HasTable("_sync_witness"));
  if (!kept) return report;
  LIAISON_ASSIGN_OR_RETURN(
      Stmt rows, office.db().Prepare("SELECT n, head, signed_ms, signature, certificate, "
                                     "seen_ms, extends FROM _sync_witness WHERE hub_replica_id = "
                                     "? ORDER BY n, seen_ms"));
  rows.Bind(1, std::string_view(hub_replica_id));
  std::multimap<std::int64_t, std::size_t> by_n;
  for (;;) {
    LIAISON_ASSIGN_OR_RETURN(bool row, rows.Step());
    if (!row) break;
    WitnessFinding f;
    f.checkpoint = Checkpoint{rows.Int(0), rows.Blob(1), rows.Int(2), rows.Blob(3), rows.Blob(4)};
    f.seen_ms = rows.Int(5);
    f.extended = rows.Int(6) == 1;
    by_n.emplace(f.checkpoint.n, report.findings.size());
    report.findings.push_back(std::move(f));
  }
  auto match = [&](std::int64_t n, std::string_view head) {
    auto [first, last] = by_n.equal_range(n);
    for (auto it = first; it != last; ++it) {
      WitnessFinding& f = report.findings[it->second];
      Result<bool> valid = CheckpointSignatureValid(f.checkpoint);
      f.matches = f.checkpoint.head == head && valid.ok() && *valid;
    }
  };
  match(0, GenesisHead());
  LIAISON_ASSIGN_OR_RETURN(report.chain, source.walk([&](const ChainEntry& e) -> Status {
    match(e.n, e.head);
    return Status::Ok();
  }));
  return report;
}

}  // namespace liaison
