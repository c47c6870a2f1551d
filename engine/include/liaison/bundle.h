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
inline constexpr std::uint32_t kBundleFormatVersion = 1;  // never reused
inline constexpr std::uint32_t kBundleMaxRecordBytes = 16u << 20;

// Frame kinds (BUNDLE.md, "Frames"); never reused.
enum class BundleFrame : std::uint8_t { kHeader = 0x01, kChange = 0x02, kTrailer = 0x03 };

struct BundleHeader {
  std::string replica_id;  // the exporter
  std::string office_id;
  Role role = Role::kOffice;
  std::uint32_t schema_version = 0;
  std::uint64_t created_ms = 0;  // Unix milliseconds
  VersionVector since;           // the export holds what this does not cover
  bool operator==(const BundleHeader&) const = default;
};

// Record payload codecs (pure): the bytes of one frame's payload and back.
// Encoding refuses a REAL value; decoding refuses anything not in BUNDLE.md.
Result<std::string> EncodeChangePayload(const Change& change);
Result<Change> DecodeChangePayload(std::string_view payload);
Result<std::string> EncodeHeaderPayload(const BundleHeader& header);
Result<BundleHeader> DecodeHeaderPayload(std::string_view payload);

class BundleWriter {
 public:
  // Writes the magic, version and header frame to `out`.
  static Result<BundleWriter> Begin(std::ostream& out, const BundleHeader& header);
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
  // hash) and the input has ended. After an error the reader must not be used.
  Result<std::optional<Change>> Next();
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

// Writes every change `replica` knows beyond `since` (empty: all) to `path`.
Result<ExportStats> ExportBundle(Replica& replica, const std::string& path,
                                 const VersionVector& since = {});

// Verifies the bundle at `path`, then applies it to `replica` in one transaction.
Result<ApplyStats> ImportBundle(Replica& replica, const std::string& path);

struct BundleSummary {
  BundleHeader header;
  std::int64_t records = 0;
  std::uint64_t bytes = 0;
};

// Verifies the bundle at `path` (every record and the trailer) without applying it.
Result<BundleSummary> VerifyBundle(const std::string& path);

}  // namespace liaison
