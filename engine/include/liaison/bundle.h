// Change bundles: files that carry one replica's changes to another, for offices
// with no network (a USB stick). The byte format is engine/protocol/BUNDLE.md.
//
// BundleWriter streams a header, change records one by one, and a trailer (record
// count and SHA-256 of every preceding byte) to a std::ostream the caller owns.
// BundleReader streams them back from a std::istream the caller owns, holding one
// record at a time; it verifies the trailer when it reaches the end, and treats
// every byte as untrusted: each record length is checked against a hard cap before
// any allocation, and every length inside a record against the bytes it holds.
//
// ExportBundle and ImportBundle work on files. Export writes a temporary file and
// renames it, so a failed export leaves nothing under the final name. Import reads
// the file once, applying through one Merger in one transaction that commits only
// after the trailer verified, and
// changes nothing unless the whole bundle is sound and applies.
//
// Thread-safety: none; each object belongs to one thread, and the streams and the
// Replica passed in must outlive the objects using them.
#pragma once

#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "liaison/change.h"
#include "liaison/merger.h"
#include "liaison/replica.h"
#include "liaison/status.h"

namespace liaison {

inline constexpr std::string_view kBundleMagic = "LIAISONB";
// Format versions (never reused): 1 unsigned, 2 may carry a signature frame. A writer
// writes 1 unless it signs; a reader reads both.
inline constexpr std::uint32_t kBundleFormatUnsigned = 1;
inline constexpr std::uint32_t kBundleFormatVersion = 2;  // the newest this code reads
inline constexpr std::uint32_t kBundleMaxRecordBytes = 16u << 20;

// Frame kinds (BUNDLE.md, "Frames"); never reused.
enum class BundleFrame : std::uint8_t {
  kHeader = 0x01,
  kChange = 0x02,
  kTrailer = 0x03,
  kSignature = 0x04,  // version 2 only
};

struct BundleHeader {
  std::string replica_id;  // the exporter
  std::string office_id;
  Role role = Role::kOffice;
  std::uint32_t schema_version = 0;
  std::uint64_t created_ms = 0;  // Unix milliseconds
  VersionVector since;           // the export holds what this does not cover
  bool operator==(const BundleHeader&) const = default;
};

// The exporter's signature of its own changes in the bundle (BUNDLE.md, "Signature
// payload"): the same message an office signs for a push batch (audit.h,
// BatchMessage), so that the hub keeps it as one of its signed batches.
struct BundleSignature {
  std::string origin;  // the exporting replica: header.replica_id
  std::int64_t first_seq = 0, last_seq = 0;
  std::string signature;    // DER ECDSA over BatchMessage
  std::string certificate;  // DER: the signer's certificate
  bool operator==(const BundleSignature&) const = default;
};

// Record payload codecs (pure): the bytes of one frame's payload and back.
// Encoding refuses a REAL value; decoding refuses anything not in BUNDLE.md.
Result<std::string> EncodeChangePayload(const Change& change);
Result<Change> DecodeChangePayload(std::string_view payload);
Result<std::string> EncodeHeaderPayload(const BundleHeader& header);
Result<BundleHeader> DecodeHeaderPayload(std::string_view payload);
Result<std::string> EncodeSignaturePayload(const BundleSignature& signature);
Result<BundleSignature> DecodeSignaturePayload(std::string_view payload);

class Signer;

class BundleWriter {
 public:
  // Writes the magic, version and header frame to `out`. With a signer the file is
  // version 2, and Finish signs the header replica's own changes (which must have
  // consecutive seqs) when there are any. `signer` must outlive the writer.
  static Result<BundleWriter> Begin(std::ostream& out, const BundleHeader& header,
                                    const Signer* signer = nullptr);
  BundleWriter(BundleWriter&&) noexcept;
  BundleWriter& operator=(BundleWriter&&) = delete;
  ~BundleWriter();

  Status Append(const Change& change);
  // Writes the trailer and flushes. REQUIRES: called once, last.
  Status Finish();

  std::int64_t records() const;
  std::uint64_t bytes() const;  // written so far

 private:
  struct State;
  explicit BundleWriter(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

class BundleReader {
 public:
  // Reads and checks the magic, version and header frame of `in`.
  static Result<BundleReader> Begin(std::istream& in);
  BundleReader(BundleReader&&) noexcept;
  BundleReader& operator=(BundleReader&&) = delete;
  ~BundleReader();

  const BundleHeader& header() const;
  // The next change; nullopt once the trailer has been read and verified (count and
  // hash) and the input has ended. A signature frame is checked when it is read: its
  // origin and seqs are the header replica's own changes read, its certificate names
  // the header's office, and it verifies over their digests; nothing here says the
  // certificate is trusted (CheckCertificateTrusted, pki.h). After an error the
  // reader must not be used.
  Result<std::optional<Change>> Next();
  // Once Next has returned nullopt: the signature, if the file carries one, and the
  // digests (audit.h, ChangeDigest) of the changes it covers, first_seq first.
  const std::optional<BundleSignature>& signature() const;
  const std::string& signed_digests() const;
  // Change records of the header's replica read so far.
  std::int64_t own_changes() const;
  std::int64_t records() const;  // change records read so far
  std::uint64_t bytes() const;   // bytes read so far

 private:
  struct State;
  explicit BundleReader(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

struct ExportStats {
  std::int64_t changes = 0;
  std::uint64_t bytes = 0;
};

struct ExportOptions {
  VersionVector since;  // the export holds what this does not cover (empty: all)
  // Signs the replica's own changes with this key (a version 2 file); the signer's
  // certificate must name the replica's office.
  const Signer* signer = nullptr;
};

// Writes every change `replica` knows beyond `options.since` to `path`.
Result<ExportStats> ExportBundle(Replica& replica, const std::string& path,
                                 const ExportOptions& options = {});

struct ImportOptions {
  // The CA certificate and revocation list (PEM files; the list may be empty: none)
  // a signed bundle's certificate is checked against. A hub imports a signed bundle
  // only with them.
  std::string ca_path, crl_path;
};

struct ImportStats : ApplyStats {
  std::string signed_by;         // the signing certificate's office; empty: unsigned
  std::string signer_serial;     // its serial, hex
  std::int64_t signed_changes = 0;
  bool signer_trusted = false;   // checked against the CA of ImportOptions
  // At a hub: changes kept aside in quarantine (HUB.md, "The door").
  std::int64_t quarantined = 0;
  // At a hub: other offices' changes the bundle relayed without their signature,
  // left for those offices to deliver.
  std::int64_t left = 0;
};

// Verifies the bundle at `path`, then applies it to the office replica `replica` in
// one transaction; a signed bundle's signature must verify, and with a CA in
// `options` its certificate must be trusted. A hub's master copy is refused: a hub
// imports through its door (Hub::ImportBundle, hub.h).
Result<ImportStats> ImportBundle(Replica& replica, const std::string& path,
                                 const ImportOptions& options = {});

struct BundleSummary {
  BundleHeader header;
  std::int64_t records = 0;
  std::uint64_t bytes = 0;
  std::optional<BundleSignature> signature;  // verified over the changes, not trusted
};

// Verifies the bundle at `path` (every record and the trailer) without applying it.
Result<BundleSummary> VerifyBundle(const std::string& path);

}  // namespace liaison
