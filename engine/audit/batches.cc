// Signed batches (liaison/audit.h, engine/audit/AUDIT.md "Signed batches").
#include "audit/batches.h"

#include "base/sha256.h"
#include "liaison/pki.h"
#include "protocol/codec.h"

namespace liaison {
namespace {

constexpr std::size_t kDigest = 32;

}  // namespace

Result<bool> BatchSignatureValid(const SignedBatch& batch) {
  return SignatureIsValid(batch.certificate,
                          BatchMessage(batch.origin, batch.first_seq, batch.last_seq, batch.digests),
                          batch.signature);
}

Status KeepSignedBatch(Db& db, const SignedBatch& batch) {
  LIAISON_ASSIGN_OR_RETURN(
      Stmt insert, db.Prepare("INSERT INTO _sync_batches(office, origin, first_seq, last_seq, "
                              "accepted_ms, digests, signature, certificate) VALUES(?, ?, ?, ?, "
                              "?, ?, ?, ?)"));
  insert.Bind(1, std::string_view(batch.office))
      .Bind(2, std::string_view(batch.origin))
      .Bind(3, batch.first_seq)
      .Bind(4, batch.last_seq)
      .Bind(5, batch.accepted_ms)
      .BindBlob(6, batch.digests)
      .BindBlob(7, batch.signature)
      .BindBlob(8, batch.certificate);
  return insert.Run();
}

namespace audit_internal {

Result<std::vector<Checkpoint>> LoadCheckpoints(Db& db) {
  std::vector<Checkpoint> out;
  LIAISON_ASSIGN_OR_RETURN(bool exists, db.HasTable("_sync_checkpoints"));
  if (!exists) return out;
  LIAISON_ASSIGN_OR_RETURN(
      Stmt rows, db.Prepare("SELECT n, head, signed_ms, signature, certificate FROM "
                            "_sync_checkpoints ORDER BY n, signed_ms"));
  for (;;) {
    LIAISON_ASSIGN_OR_RETURN(bool row, rows.Step());
    if (!row) break;
    out.push_back(Checkpoint{rows.Int(0), rows.Blob(1), rows.Int(2), rows.Blob(3), rows.Blob(4)});
  }
  return out;
}

CheckpointChecker::CheckpointChecker(std::vector<Checkpoint> checkpoints, std::string ca_der)
    : ca_der_(std::move(ca_der)) {
  for (Checkpoint& cp : checkpoints) by_n_.emplace(cp.n, std::move(cp));
}

std::string CheckpointChecker::Check(std::int64_t n, std::string_view head,
                                     ChainReport& report) const {
  auto [first, last] = by_n_.equal_range(n);
  for (auto it = first; it != last; ++it) {
    const Checkpoint& cp = it->second;
    const std::string at = "the checkpoint signed at entry " + std::to_string(n);
    if (cp.head != head) return at + " names another head: the chain up to it was rewritten";
    Result<bool> valid = CheckpointSignatureValid(cp);
    if (!valid.ok() || !*valid) {
      return at + " carries a signature that does not verify" +
             (valid.ok() ? std::string() : ": " + valid.status().message());
    }
    if (!ca_der_.empty()) {
      Result<bool> issued = CertificateIssuedBy(cp.certificate, ca_der_);
      if (!issued.ok() || !*issued) return at + " is signed by a certificate the CA did not issue";
    }
    ++report.checkpoints;
  }
  return std::string();
}

std::string CheckpointChecker::AfterEnd(std::int64_t entries) const {
  if (by_n_.empty() || by_n_.rbegin()->first <= entries) return std::string();
  return "a checkpoint was signed at entry " + std::to_string(by_n_.rbegin()->first) +
         " but the chain ends at " + std::to_string(entries) + ": its tail was removed";
}

Result<std::vector<SignedBatch>> LoadSignedBatches(Db& db) {
  std::vector<SignedBatch> out;
  LIAISON_ASSIGN_OR_RETURN(bool exists, db.HasTable("_sync_batches"));
  if (!exists) return out;
  LIAISON_ASSIGN_OR_RETURN(
      Stmt rows, db.Prepare("SELECT office, origin, first_seq, last_seq, accepted_ms, digests, "
                            "signature, certificate FROM _sync_batches ORDER BY id"));
  for (;;) {
    LIAISON_ASSIGN_OR_RETURN(bool row, rows.Step());
    if (!row) break;
    out.push_back(SignedBatch{rows.Text(0), rows.Text(1), rows.Int(2), rows.Int(3), rows.Int(4),
                              rows.Blob(5), rows.Blob(6), rows.Blob(7)});
  }
  return out;
}

BatchChecker::BatchChecker(std::string hub_replica_id, std::vector<SignedBatch> batches)
    : hub_replica_id_(std::move(hub_replica_id)),
      batches_(std::move(batches)),
      checked_(batches_.size(), false),
      problem_(batches_.size()),
      signer_(batches_.size()) {
  for (std::size_t i = 0; i < batches_.size(); ++i) by_origin_[batches_[i].origin].push_back(i);
}

const std::string& BatchChecker::BatchProblem(std::size_t i) {
  if (checked_[i]) return problem_[i];
  checked_[i] = true;
  const SignedBatch& b = batches_[i];
  const std::string which = "the batch office " + b.office + " signed of changes " +
                            std::to_string(b.first_seq) + ".." + std::to_string(b.last_seq);
  if (b.last_seq < b.first_seq ||
      b.digests.size() != static_cast<std::size_t>(b.last_seq - b.first_seq + 1) * kDigest) {
    problem_[i] = which + " does not hold one digest a change";
    return problem_[i];
  }
  Result<bool> valid = BatchSignatureValid(b);
  if (!valid.ok() || !*valid) {
    problem_[i] = which + " carries a signature that does not verify";
    return problem_[i];
  }
  Result<std::string> subject = CertificateSubject(b.certificate);
  if (!subject.ok() || *subject != b.office) {
    problem_[i] = which + " was signed with the certificate of " +
                  (subject.ok() ? *subject : std::string("an unreadable certificate"));
    return problem_[i];
  }
  Result<std::string> serial = CertificateSerial(b.certificate);
  signer_[i] = *subject + ", certificate serial 0x" + (serial.ok() ? *serial : "?");
  return problem_[i];
}

Result<std::string> BatchChecker::Check(std::int64_t n, const std::string& office,
                                        const Change& change, std::string_view entry,
                                        std::string& signed_by, ChainReport& report) {
  signed_by.clear();
  if (change.origin.value() == hub_replica_id_) return std::string();
  auto covers = [&](std::size_t i) {
    return Seq(batches_[i].first_seq) <= change.seq && change.seq <= Seq(batches_[i].last_seq);
  };
  std::optional<std::size_t> cover;
  if (auto last = last_cover_.find(change.origin.value());
      last != last_cover_.end() && covers(last->second)) {
    cover = last->second;
  } else if (auto it = by_origin_.find(change.origin.value()); it != by_origin_.end()) {
    for (std::size_t i : it->second) {
      if (covers(i)) {
        cover = i;
        break;
      }
    }
  }
  if (!cover) {
    if (report.unsigned_changes++ == 0) {
      report.first_unsigned = n;
      report.first_unsigned_office = office;
    }
    return std::string();
  }
  last_cover_[change.origin.value()] = *cover;
  const SignedBatch& b = batches_[*cover];
  if (const std::string& problem = BatchProblem(*cover); !problem.empty()) {
    return "change " + std::to_string(n) + ": " + problem;
  }
  // An entry is the flag byte, n, accepted_ms, the office (u64 length and bytes), then
  // the Change payload without its flag: ChangeDigest's bytes, found without encoding
  // the change again.
  const std::size_t prefix = 1 + 8 + 8 + 8 + office.size();
  if (entry.size() <= prefix) return Status::Internal("entry " + std::to_string(n) + " too short");
  const std::string digest = Sha256(std::string_view("\x01", 1), entry.substr(prefix));
  const auto at = static_cast<std::size_t>(change.seq.value() - b.first_seq) * kDigest;
  if (std::string_view(b.digests).substr(at, kDigest) != digest) {
    return "change " + std::to_string(n) + " (" + change.table + " " + change.pk +
           ") is not the change office " + b.office + " signed";
  }
  if (office != b.office) {
    return "change " + std::to_string(n) + " is attributed to office " + office +
           " but office " + b.office + " signed it";
  }
  ++report.signed_changes;
  signed_by = signer_[*cover];
  return std::string();
}

}  // namespace audit_internal
}  // namespace liaison
