// Signed batches (liaison/audit.h, engine/audit/AUDIT.md "Signed batches").
#include "audit/batches.h"

#include "audit/hashing.h"
#include "liaison/pki.h"
#include "protocol/codec.h"

namespace liaison {
namespace {

constexpr std::string_view kBatchDomain = "liaison batch 1";
constexpr std::size_t kDigest = 32;

}  // namespace

Result<std::string> ChangeDigest(const Change& change) {
  LIAISON_ASSIGN_OR_RETURN(std::string bytes, protocol_internal::EncodeArchive(change));
  return audit_internal::Sha256(bytes);
}

std::string BatchMessage(std::string_view origin, std::int64_t first_seq, std::int64_t last_seq,
                         std::string_view digests) {
  std::string out(kBatchDomain);
  audit_internal::PutLe64(out, origin.size());
  out.append(origin);
  audit_internal::PutLe64(out, static_cast<std::uint64_t>(first_seq));
  audit_internal::PutLe64(out, static_cast<std::uint64_t>(last_seq));
  out += audit_internal::Sha256(digests);
  return out;
}

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

Result<std::vector<SignedBatch>> LoadSignedBatches(Db& db) {
  std::vector<SignedBatch> out;
  LIAISON_ASSIGN_OR_RETURN(
      bool exists, db.QueryInt("SELECT count(*) FROM sqlite_schema WHERE name = '_sync_batches'"));
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
                                        const Change& change, std::string& signed_by,
                                        ChainReport& report) {
  signed_by.clear();
  if (change.origin == hub_replica_id_) return std::string();
  auto it = by_origin_.find(change.origin);
  std::optional<std::size_t> cover;
  if (it != by_origin_.end()) {
    for (std::size_t i : it->second) {
      if (batches_[i].first_seq <= change.seq && change.seq <= batches_[i].last_seq) {
        cover = i;
        break;
      }
    }
  }
  if (!cover) {
    ++report.unsigned_changes;
    return std::string();
  }
  const SignedBatch& b = batches_[*cover];
  if (const std::string& problem = BatchProblem(*cover); !problem.empty()) {
    return "change " + std::to_string(n) + ": " + problem;
  }
  LIAISON_ASSIGN_OR_RETURN(std::string digest, ChangeDigest(change));
  const auto at = static_cast<std::size_t>(change.seq - b.first_seq) * kDigest;
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
