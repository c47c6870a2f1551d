// Hub::ImportBundle (hub.h): an office's bundle enters the master copy through the
// door (master_log.h), under the same rules as the office's push.
#include <cstring>
#include <fstream>

#include "hub/hub_state.h"
#include "liaison/hlc.h"
#include "liaison/pki.h"

namespace liaison {

using hub_internal::Admission;
using hub_internal::Verdict;

namespace {

// Whether `origin` has ever signed a batch kept at the hub.
Result<bool> HasSigned(Db& db, const std::string& origin) {
  LIAISON_ASSIGN_OR_RETURN(Stmt signs,
                           db.Prepare("SELECT count(*) FROM _sync_batches WHERE origin = ?"));
  signs.Bind(1, std::string_view(origin));
  LIAISON_ASSIGN_OR_RETURN(bool row, signs.Step());
  return row && signs.Int(0) > 0;
}

}  // namespace

Result<ImportStats> Hub::ImportBundle(const std::string& path, const ImportOptions& options) {
  // Merged without a savepoint per change; a change that breaks the schema rolls the
  // import back, and the file is read again with one, keeping that change aside.
  Result<ImportStats> fast = ImportBundleOnce(*state_, path, options, false);
  if (fast.ok() || fast.status().code() != Status::Code::kConstraint) return fast;
  return ImportBundleOnce(*state_, path, options, true);
}

Result<ImportStats> Hub::ImportBundleOnce(State& s, const std::string& path,
                                          const ImportOptions& options, bool careful) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("open: " + std::string(std::strerror(errno)));
  LIAISON_ASSIGN_OR_RETURN(BundleReader reader, BundleReader::Begin(in));
  const BundleHeader& header = reader.header();
  if (header.schema_version > static_cast<std::uint32_t>(s.replica.info().schema_version)) {
    return Status::FailedPrecondition(
        "bundle made with schema version " + std::to_string(header.schema_version) +
        ", this replica has " + std::to_string(s.replica.info().schema_version) +
        ": upgrade liaison first");
  }
  if (header.role != Role::kOffice) {
    return Status::FailedPrecondition("the bundle comes from another hub (" + header.office_id +
                                      "): a hub admits offices' bundles only");
  }
  // Rule 1, in the admission's transaction: nothing stays if anything fails.
  LIAISON_ASSIGN_OR_RETURN(
      Admission admission,
      s.door->Begin({header.office_id, header.replica_id, careful, /*changes_outlive=*/false}));
  LIAISON_ASSIGN_OR_RETURN(std::string refused,
                           s.door->Identify(header.office_id, header.replica_id));
  if (!refused.empty()) return Status::FailedPrecondition(refused);
  ImportStats stats;
  for (std::int64_t n = 1;; ++n) {
    LIAISON_ASSIGN_OR_RETURN(std::optional<Change> change, reader.Next());
    if (!change) break;
    Result<Verdict> verdict = admission.Admit(*change);
    if (!verdict.ok()) {
      if (verdict.status().code() == Status::Code::kConstraint) return verdict.status();
      return verdict.status().WithContext("record " + std::to_string(n) + " (" + change->name() +
                                          ")");
    }
    if (verdict->outcome == Verdict::Outcome::kKeptAside) ++stats.quarantined;
    if (verdict->outcome == Verdict::Outcome::kLeft) ++stats.left;
  }
  static_cast<ApplyStats&>(stats) = admission.stats();
  // Rule 2: the office's signature, checked against the CA and its revocation list.
  std::optional<SignedBatch> kept;
  if (const std::optional<BundleSignature>& sig = reader.signature()) {
    LIAISON_ASSIGN_OR_RETURN(stats.signed_by, CertificateSubject(sig->certificate));
    LIAISON_ASSIGN_OR_RETURN(stats.signer_serial, CertificateSerial(sig->certificate));
    stats.signed_changes = sig->last_seq - sig->first_seq + 1;
    if (options.ca_path.empty() || options.crl_path.empty()) {
      return Status::FailedPrecondition(
          "the bundle is signed by " + stats.signed_by +
          ": a hub imports a signed bundle only with the CA and its revocation list to "
          "check the signer (--pki DIR, holding ca.crt and ca.crl)");
    }
    Status trusted = CheckCertificateTrusted(sig->certificate, options.ca_path, options.crl_path);
    if (!trusted.ok()) {
      return trusted.WithContext("the bundle's signer " + stats.signed_by + " (serial 0x" +
                                 stats.signer_serial + ")");
    }
    stats.signer_trusted = true;
    kept = SignedBatch{stats.signed_by,
                       sig->origin,
                       sig->first_seq,
                       sig->last_seq,
                       static_cast<std::int64_t>(WallMillis()),
                       reader.signed_digests(),
                       sig->signature,
                       sig->certificate};
  } else if (reader.own_changes() > 0) {
    if (!s.options.allow_unsigned) {
      return Status::FailedPrecondition(
          "the bundle of office " + header.office_id +
          " is not signed, and this hub requires its offices' signatures: export it again "
          "with the office's --cert and --key (or import it with --allow-unsigned during a "
          "migration window)");
    }
    LIAISON_ASSIGN_OR_RETURN(bool signed_before, HasSigned(s.replica.db(), header.replica_id));
    if (signed_before) {
      return Status::FailedPrecondition(
          "the bundle carries no signature, but replica " + header.replica_id + " of office " +
          header.office_id +
          " has signed its changes before: export it again with the office's --cert and --key");
    }
  }
  LIAISON_RETURN_IF_ERROR(admission.Seal(kept ? &*kept : nullptr));
  return stats;
}

}  // namespace liaison
