// The audit chain of the hub's master log (engine/audit/AUDIT.md): a SHA-256 hash
// chain with one entry per change, in hub sequence order, kept in `_sync_audit`.
//
// ExtendChain appends entries for every change of the log past the chain, inside the
// caller's transaction if there is one (the hub calls it before committing a push
// batch, so a received change is chained in the transaction that accepts it).
// VerifyChain rebuilds every entry from the log and checks the chain, naming the
// first bad entry; it writes nothing.
//
// Thread-safety: none; each call belongs to the thread that owns the Replica.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "liaison/batch_message.h"
#include "liaison/change.h"
#include "liaison/conflicts.h"
#include "liaison/merger.h"
#include "liaison/replica.h"
#include "liaison/status.h"

namespace liaison {


// Chains every change of the hub's log not chained yet; returns how many.
Result<std::int64_t> ExtendChain(Replica& hub);
struct ChainReport {
  std::int64_t entries = 0;        // chain rows checked and found good
  std::int64_t checkpoints = 0;    // signed checkpoints checked and found good
  std::int64_t signed_changes = 0;    // received changes an office's signed batch covers
  std::int64_t unsigned_changes = 0;  // received changes no signed batch covers
  std::int64_t first_unsigned = 0;    // the entry of the first of them; 0 when none
  std::string first_unsigned_office;  // the office it is attributed to
  std::string head;                // hex head after them (of head(0) when none)
  std::int64_t bad_entry = 0;      // the first bad entry's n; 0 when none
  std::string problem;             // what is wrong with it (or past the chain)
  std::int64_t own_unchained = 0;  // hub's own changes past the chain (not an error)
  bool ok() const { return problem.empty(); }
};

// Checks the chain against the log. An error Status only when the database cannot
// be read; tampering is reported in the ChainReport.
Result<ChainReport> VerifyChain(Replica& hub);

// One good entry of the chain, as WalkChain hands it over.
struct ChainEntry {
  std::int64_t n = 0;
  std::int64_t accepted_ms = 0;
  std::string office;
  const Change* change = nullptr;  // valid during the call only
  std::string signed_by;  // the signing certificate ("CN, serial 0x..."); empty: unsigned
  std::string_view head;   // head(n), 32 bytes; valid during the call only
  std::string_view bytes;  // entry(n) as AUDIT.md encodes it; valid during the call only
};
using EntryVisitor = std::function<Status(const ChainEntry&)>;

// VerifyChain that also hands each entry, once checked, to `visit` (in chain order;
// stops at the first bad entry, and at the first error `visit` returns).
Result<ChainReport> WalkChain(Replica& hub, const EntryVisitor& visit);

// Where the auditor's tools read the chain from: the hub's database (SourceOf) or an
// exported log file (AuditLogFile).
struct ChainSource {
  OfficeId hub_office;     // the master copy's own office
  int schema_version = 0;  // of the replicated tables
  // WalkChain over the source: every good entry to `visit`, in order.
  std::function<Result<ChainReport>(const EntryVisitor&)> walk;
  Replica* hub = nullptr;  // the database, when the source is one: its conflict journal
};
ChainSource SourceOf(Replica& hub);

// Rebuilds into a new replica file at `out` the replicated data as the master copy
// held it at `until_ms` (Unix ms): every chained change accepted then or before, in
// chain order, merged by the same rules. The chain is verified on the way: a bad
// entry, or a replay that cannot be written, removes `out` and returns the error.
struct ReplayStats {
  std::int64_t applied = 0;  // entries replayed
  std::int64_t entries = 0;  // entries in the chain
};
Result<ReplayStats> ReplayChain(const ChainSource& source, std::int64_t until_ms,
                                const std::string& out);
Result<ReplayStats> ReplayChain(Replica& hub, std::int64_t until_ms, const std::string& out);

// ---- The exported log (AUDIT.md, "The exported log"): one file holding the chain's
// entries with their heads, the hub's signed checkpoints with their certificates and,
// optionally, the CA certificate, closed by a SHA-256 of every byte before it.

struct LogExportStats {
  std::int64_t entries = 0;
  std::int64_t checkpoints = 0;
  std::uint64_t bytes = 0;
};
// Writes the verified chain of `hub` to a new file `out` (refused if it exists);
// `ca_der` (may be empty) is the CA certificate the hub's was issued by. A broken
// chain is refused and leaves no file.
Result<LogExportStats> ExportChain(Replica& hub, const std::string& out, std::string_view ca_der);

// True when the file at `path` starts as an exported log does.
bool IsAuditLogFile(const std::string& path);

// An exported log, read and checked entry by entry at each walk.
class AuditLogFile {
 public:
  // Reads the header; the rest is read by each walk.
  static Result<AuditLogFile> Open(const std::string& path);
  ChainSource source() const;
  const std::string& hub_replica_id() const { return hub_replica_id_; }
  std::int64_t exported_ms() const { return exported_ms_; }
  // The subject of the CA certificate carried, and whether every checkpoint's
  // certificate was issued by it; empty when the log carries none.
  const std::string& ca_subject() const { return ca_subject_; }

 private:
  std::string path_;
  std::string hub_replica_id_, ca_subject_;
  OfficeId hub_office_;
  int schema_version_ = 0;
  std::int64_t exported_ms_ = 0;
};

// Every chained change of one row, oldest first, with the row's values just before
// and just after it (merged by the same rules), and the conflicts journaled for it.
struct RowEvent {
  std::int64_t n = 0;
  std::int64_t accepted_ms = 0;
  std::string office;
  std::string signed_by;  // the certificate that signed the change's batch; empty: unsigned
  Change change;
  std::map<std::string, Value> before, after;  // empty when the row did not exist
};
struct RowHistory {
  std::vector<RowEvent> events;
  std::vector<ConflictEntry> conflicts;  // journaled at the hub, oldest first
};
// From a log file, the conflicts are the ones merging the row's changes finds again,
// dated by the entry that caused each (the file holds no journal).
Result<RowHistory> HistoryOf(const ChainSource& source, const std::string& table,
                             const std::string& pk);
Result<RowHistory> HistoryOf(Replica& hub, const std::string& table, const std::string& pk);

// The canonical bytes of entry n (AUDIT.md) and the chain step over them:
// head(n) = SHA-256(head(n-1) || SHA-256(entry(n))). The inner digest is the entry's
// link: the links from entry a+1 to b take head(a) to head(b) without the entries.
Result<std::string> EncodeAuditEntry(std::int64_t n, std::int64_t accepted_ms,
                                     const std::string& office, const Change& change);
std::string EntryDigest(std::string_view entry);  // 32 raw bytes
std::string ChainLink(const std::string& previous_head, std::string_view entry_digest);
std::string ChainStep(const std::string& previous_head, const std::string& entry);
std::string GenesisHead();  // head(0), 32 raw bytes
std::string HexBytes(std::string_view bytes);  // lower-case hex

// ---- Signed batches (AUDIT.md, "Signed batches"): an office signs each batch it
// pushes; the hub keeps the signature, its certificate and the changes' digests.

// ChangeDigest and BatchMessage, the bytes an office signs: liaison/batch_message.h.

struct SignedBatch {
  std::string office;       // as the hub bound it: the certificate's office
  std::string origin;       // the office replica whose changes these are
  std::int64_t first_seq = 0, last_seq = 0;
  std::int64_t accepted_ms = 0;
  std::string digests;      // ChangeDigest of each change, first_seq first
  std::string signature;    // DER ECDSA over BatchMessage
  std::string certificate;  // DER: the office's certificate
  bool operator==(const SignedBatch&) const = default;
};

// Whether the batch's signature verifies with its certificate over its digests.
Result<bool> BatchSignatureValid(const SignedBatch& batch);
// Keeps the batch in `_sync_batches` (inside the caller's transaction).
Status KeepSignedBatch(Db& db, const SignedBatch& batch);

// ---- Checkpoints (AUDIT.md, "Checkpoints"): the hub's signature of the chain's head
// at entry n. Offices keep the ones they receive (witnesses) and check that each new
// one extends the last they saw.

struct Checkpoint {
  std::int64_t n = 0;
  std::string head;         // 32 raw bytes: head(n)
  std::int64_t signed_ms = 0;
  std::string signature;    // DER ECDSA P-256 over CheckpointMessage
  std::string certificate;  // DER: the signer's (the hub's) certificate
  bool operator==(const Checkpoint&) const = default;
};

// The bytes a checkpoint's signature covers.
std::string CheckpointMessage(std::int64_t n, std::string_view head, std::int64_t signed_ms);

class Signer;

// The hub's checkpoint of the chain's head as it stands (after ExtendChain): the one
// already signed at that n by the same certificate, or a new one, signed and kept in
// `_sync_checkpoints` (inside the caller's transaction if there is one).
Result<Checkpoint> SignCheckpoint(Replica& hub, const Signer& signer);

// The links (EntryDigest) of entries from+1 .. from+count, concatenated (32 bytes
// each). REQUIRES: 0 <= from, from + count <= the chain's length.
Result<std::string> ChainLinks(Replica& hub, std::int64_t from, std::int64_t count);

// Whether the checkpoint's signature is its certificate's key's signature of it.
Result<bool> CheckpointSignatureValid(const Checkpoint& checkpoint);

// One checkpoint an office kept from the hub (`_sync_witness`), held against the
// hub's chain as it is now (`liaison audit witness`).
struct WitnessFinding {
  Checkpoint checkpoint;
  std::int64_t seen_ms = 0;
  bool extended = true;  // the office found it extended the one it kept before
  bool matches = false;  // the chain (verified) has this head at its n
};
struct WitnessReport {
  std::vector<WitnessFinding> findings;  // by n
  ChainReport chain;
  bool ok() const;  // the chain holds, and every kept checkpoint matches and extended
};
// Compares what the office replica `office` kept from this hub with the chain of
// `source` (which must be that hub's: its replica id is checked).
Result<WitnessReport> CompareWitness(const ChainSource& source, const std::string& hub_replica_id,
                                     Replica& office);

}  // namespace liaison
