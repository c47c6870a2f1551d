// Bundle files: framing, trailer hash, streaming writer and reader, export and
// import (see liaison/bundle.h and engine/protocol/BUNDLE.md).
#include "liaison/bundle.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "base/coding.h"
#include "base/record_file.h"
#include "base/sha256.h"
#include "liaison/batch_message.h"
#include "liaison/cleaning.h"
#include "liaison/hlc.h"
#include "liaison/pki.h"

namespace liaison {
namespace {

constexpr std::uint32_t kTrailerBytes = 8 + kSha256Bytes;

// Who signs a bundle: the office's certificate names the office, the hub's is "hub"
// (liaison/pki.h).
std::string SignerName(const BundleHeader& header) {
  return header.role == Role::kHub ? "hub" : header.office_id;
}

}  // namespace

// ---- Writer

struct BundleWriter::State {
  explicit State(std::ostream& out) : file(out) {}
  HashedRecordWriter file;
  std::int64_t records = 0;
  bool finished = false;
  // Signing: the exporter's own changes, their seqs and digests.
  const Signer* signer = nullptr;
  ReplicaId origin;
  Seq first_seq, last_seq;  // Seq() while no own change was appended
  std::string digests;

  Status Written() const {
    if (!file.ok()) return Status::IoError("write bundle: " + std::string(std::strerror(errno)));
    return Status::Ok();
  }

  Status WriteFrame(BundleFrame kind, std::string_view payload) {
    if (payload.size() > kBundleMaxRecordBytes) {
      return Status::InvalidArgument("record of " + std::to_string(payload.size()) +
                                     " bytes exceeds the bundle record cap");
    }
    file.Record(static_cast<std::uint8_t>(kind), payload);
    return Written();
  }
};

BundleWriter::BundleWriter(std::unique_ptr<State> state) : state_(std::move(state)) {}
BundleWriter::BundleWriter(BundleWriter&&) noexcept = default;
BundleWriter::~BundleWriter() = default;

Result<BundleWriter> BundleWriter::Begin(std::ostream& out, const BundleHeader& header,
                                         const Signer* signer) {
  auto s = std::make_unique<State>(out);
  s->signer = signer;
  s->origin = ReplicaId(header.replica_id);
  LIAISON_ASSIGN_OR_RETURN(std::string payload, EncodeHeaderPayload(header));
  std::string start(kBundleMagic);
  PutLe(start, signer != nullptr ? kBundleFormatVersion : kBundleFormatUnsigned, 4);
  s->file.Raw(start);
  LIAISON_RETURN_IF_ERROR(s->Written());
  LIAISON_RETURN_IF_ERROR(s->WriteFrame(BundleFrame::kHeader, payload));
  return BundleWriter(std::move(s));
}

Status BundleWriter::Append(const Change& change) {
  State& s = *state_;
  LIAISON_ASSIGN_OR_RETURN(std::string payload, EncodeChangePayload(change));
  if (s.signer != nullptr && change.origin == s.origin) {
    if (s.last_seq != Seq() && change.seq != s.last_seq.next()) {
      return Status::FailedPrecondition("own change " + change.seq.ToString() + " follows " +
                                        s.last_seq.ToString() +
                                        ": a signature covers consecutive changes only");
    }
    if (s.first_seq == Seq()) s.first_seq = change.seq;
    s.last_seq = change.seq;
    s.digests += Sha256(payload);
  }
  LIAISON_RETURN_IF_ERROR(s.WriteFrame(BundleFrame::kChange, payload));
  ++s.records;
  return Status::Ok();
}

Status BundleWriter::Finish() {
  State& s = *state_;
  if (s.finished) return Status::FailedPrecondition("bundle already finished");
  if (s.signer != nullptr && s.first_seq != Seq()) {
    BundleSignature signature{s.origin.value(), s.first_seq.value(), s.last_seq.value(), "",
                              s.signer->certificate_der()};
    LIAISON_ASSIGN_OR_RETURN(signature.signature,
                             s.signer->Sign(BatchMessage(signature.origin, signature.first_seq,
                                                         signature.last_seq, s.digests)));
    LIAISON_ASSIGN_OR_RETURN(std::string payload, EncodeSignaturePayload(signature));
    LIAISON_RETURN_IF_ERROR(s.WriteFrame(BundleFrame::kSignature, payload));
  }
  std::string count;
  PutLe(count, static_cast<std::uint64_t>(s.records), 8);
  s.file.Close(static_cast<std::uint8_t>(BundleFrame::kTrailer), count);
  LIAISON_RETURN_IF_ERROR(s.Written());
  s.finished = true;
  return Status::Ok();
}

std::int64_t BundleWriter::records() const { return state_->records; }
std::uint64_t BundleWriter::bytes() const { return state_->file.bytes(); }

// ---- Reader

struct BundleReader::State {
  explicit State(std::istream& in) : file(in, static_cast<std::uint8_t>(BundleFrame::kTrailer)) {}
  HashedRecordReader file;
  std::uint64_t version = 0;
  BundleHeader header;
  std::int64_t records = 0;
  std::string buffer;        // the current frame's payload
  bool done = false;
  std::int64_t own_changes = 0;  // of the header's replica
  // Version 2: the header replica's own changes, for the signature frame.
  Seq own_first, own_last;  // Seq() while no own change was read
  bool own_consecutive = true;
  std::string own_digests;
  std::optional<BundleSignature> signature;

  std::string Where() const {
    return "record " + std::to_string(records + 1) + ", byte " + std::to_string(file.offset());
  }
  Status Truncated() const { return Status::Corruption("truncated bundle (" + Where() + ")"); }

  // Reads one frame; its payload lands in `buffer`.
  Result<BundleFrame> ReadFrame() {
    HashedRecordReader::Head head;
    if (file.NextHead(head) != HashedRecordReader::Read::kDone) return Truncated();
    const std::uint8_t kind = head.kind;
    const std::uint64_t length = head.length;
    if (kind < 0x01 || kind > 0x04) {
      return Status::Corruption("corrupt bundle: record " + std::to_string(records + 1) +
                                ": unknown frame kind " + std::to_string(kind));
    }
    if (length > kBundleMaxRecordBytes) {
      return Status::Corruption("corrupt bundle: record " + std::to_string(records + 1) +
                                ": length " + std::to_string(length) + " exceeds the " +
                                std::to_string(kBundleMaxRecordBytes) + "-byte cap");
    }
    if (length == 0) {
      return Status::Corruption("corrupt bundle: record " + std::to_string(records + 1) +
                                ": empty frame");
    }
    auto frame = static_cast<BundleFrame>(kind);
    buffer.clear();
    if (frame == BundleFrame::kTrailer && length != kTrailerBytes) {
      return Status::Corruption("corrupt bundle: trailer length " + std::to_string(length));
    }
    if (!file.Payload(head, buffer)) return Truncated();
    return frame;
  }

  Status VerifyTrailer() {
    std::uint64_t count = GetLe(buffer.data(), 8);
    if (file.Digest() != std::string_view(buffer).substr(8, kSha256Bytes)) {
      return Status::Corruption("corrupt bundle: checksum mismatch");
    }
    if (count != static_cast<std::uint64_t>(records)) {
      return Status::Corruption("corrupt bundle: trailer counts " + std::to_string(count) +
                                " records, the file holds " + std::to_string(records));
    }
    if (!file.AtEnd()) {
      return Status::Corruption("corrupt bundle: bytes after the trailer");
    }
    return Status::Ok();
  }

  Status Corrupt(const std::string& what) const {
    return Status::Corruption("corrupt bundle: record " + std::to_string(records + 1) + ": " +
                              what);
  }

  // Notes an own change (the payload in `buffer`) that a signature may cover.
  void NoteOwn(const Change& change) {
    if (own_last != Seq() && change.seq != own_last.next()) own_consecutive = false;
    if (own_first == Seq()) own_first = change.seq;
    own_last = change.seq;
    own_digests += Sha256(buffer);
  }

  // The signature frame in `buffer`: it must sign exactly the own changes read.
  Status ReadSignature() {
    if (version < kBundleFormatVersion) return Corrupt("a signature frame in a version 1 bundle");
    if (signature) return Corrupt("a second signature frame");
    auto decoded = DecodeSignaturePayload(buffer);
    if (!decoded.ok()) return decoded.status().WithContext("corrupt bundle: signature");
    const BundleSignature& sig = *decoded;
    auto bad = [](const std::string& why) {
      return Status::Corruption("bundle signature does not hold: " + why);
    };
    if (sig.origin != header.replica_id) {
      return bad("it signs replica " + sig.origin + "'s changes, the bundle is " +
                 header.replica_id + "'s");
    }
    if (own_first == Seq() || !own_consecutive || Seq(sig.first_seq) != own_first ||
        Seq(sig.last_seq) != own_last) {
      return bad("it covers changes " + std::to_string(sig.first_seq) + ".." +
                 std::to_string(sig.last_seq) + " of " + sig.origin + ", the bundle holds " +
                 (own_first == Seq() ? std::string("none")
                                     : own_first.ToString() + ".." + own_last.ToString() +
                                           (own_consecutive ? "" : " with gaps")));
    }
    Result<std::string> office = CertificateSubject(sig.certificate);
    if (!office.ok()) return bad(office.status().message());
    if (*office != SignerName(header)) {
      return bad("its certificate names " + *office + ", the bundle comes from " +
                 SignerName(header));
    }
    Result<bool> valid = SignatureIsValid(
        sig.certificate, BatchMessage(sig.origin, sig.first_seq, sig.last_seq, own_digests),
        sig.signature);
    if (!valid.ok()) return bad(valid.status().message());
    if (!*valid) return bad("the signature does not verify over the changes: they were altered");
    signature = std::move(decoded).value();
    return Status::Ok();
  }
};

BundleReader::BundleReader(std::unique_ptr<State> state) : state_(std::move(state)) {}
BundleReader::BundleReader(BundleReader&&) noexcept = default;
BundleReader::~BundleReader() = default;

Result<BundleReader> BundleReader::Begin(std::istream& in) {
  auto s = std::make_unique<State>(in);
  std::string start;
  const bool read = s->file.Raw(start, kBundleMagic.size() + 4);
  std::string_view got_magic = std::string_view(start).substr(0, kBundleMagic.size());
  if (start.empty()) return Status::Corruption("not a bundle (the file is empty)");
  if (got_magic != kBundleMagic.substr(0, got_magic.size())) {
    return Status::Corruption("not a bundle (no LIAISONB magic)");
  }
  if (!read) return Status::Corruption("truncated bundle (in the file header)");
  std::uint64_t version = GetLe(start.data() + kBundleMagic.size(), 4);
  if (version > kBundleFormatVersion) {
    return Status::FailedPrecondition("bundle format version " + std::to_string(version) +
                                      " is newer than this liaison supports (" +
                                      std::to_string(kBundleFormatVersion) + ")");
  }
  if (version == 0) return Status::Corruption("corrupt bundle: format version 0");
  s->version = version;
  LIAISON_ASSIGN_OR_RETURN(BundleFrame frame, s->ReadFrame());
  if (frame != BundleFrame::kHeader) {
    return Status::Corruption("corrupt bundle: the first frame is not the header");
  }
  auto header = DecodeHeaderPayload(s->buffer);
  if (!header.ok()) return header.status().WithContext("corrupt bundle: header");
  s->header = std::move(header).value();
  return BundleReader(std::move(s));
}

const BundleHeader& BundleReader::header() const { return state_->header; }
std::int64_t BundleReader::records() const { return state_->records; }
std::uint64_t BundleReader::bytes() const { return state_->file.offset(); }
const std::optional<BundleSignature>& BundleReader::signature() const {
  return state_->signature;
}
const std::string& BundleReader::signed_digests() const { return state_->own_digests; }
std::int64_t BundleReader::own_changes() const { return state_->own_changes; }

Result<std::optional<Change>> BundleReader::Next() {
  State& s = *state_;
  if (s.done) return std::optional<Change>();
  LIAISON_ASSIGN_OR_RETURN(BundleFrame frame, s.ReadFrame());
  if (frame == BundleFrame::kSignature) {
    LIAISON_RETURN_IF_ERROR(s.ReadSignature());
    LIAISON_ASSIGN_OR_RETURN(frame, s.ReadFrame());
    if (frame != BundleFrame::kTrailer) return s.Corrupt("the signature frame is not the last");
  }
  if (frame == BundleFrame::kTrailer) {
    LIAISON_RETURN_IF_ERROR(s.VerifyTrailer());
    s.done = true;
    return std::optional<Change>();
  }
  if (frame != BundleFrame::kChange) return s.Corrupt("a second header");
  auto change = DecodeChangePayload(s.buffer);
  if (!change.ok()) {
    return change.status().WithContext("corrupt bundle: record " + std::to_string(s.records + 1));
  }
  if (change->origin.value() == s.header.replica_id) {
    ++s.own_changes;
    if (s.version >= kBundleFormatVersion) s.NoteOwn(*change);
  }
  ++s.records;
  return std::optional<Change>(std::move(change).value());
}

// ---- Files

namespace {

Result<std::ifstream> OpenForRead(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("open: " + std::string(std::strerror(errno)));
  return in;
}

Status SyncFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return Status::IoError("open " + path + ": " + std::strerror(errno));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Status::IoError("fsync " + path + ": " + std::strerror(errno));
  return Status::Ok();
}

// Reads the whole bundle at `path`, calling `each` on every change.
template <typename Fn>
Result<BundleSummary> ReadBundle(const std::string& path, Fn&& each) {
  LIAISON_ASSIGN_OR_RETURN(std::ifstream in, OpenForRead(path));
  LIAISON_ASSIGN_OR_RETURN(BundleReader reader, BundleReader::Begin(in));
  for (;;) {
    LIAISON_ASSIGN_OR_RETURN(std::optional<Change> change, reader.Next());
    if (!change) break;
    LIAISON_RETURN_IF_ERROR(each(*change));
  }
  return BundleSummary{reader.header(), reader.records(), reader.bytes(), reader.signature()};
}

}  // namespace

Result<BundleSummary> VerifyBundle(const std::string& path) {
  return ReadBundle(path, [](const Change&) { return Status::Ok(); });
}

Result<ExportStats> ExportBundle(Replica& replica, const std::string& path,
                                 const ExportOptions& options) {
  const VersionVector& since = options.since;
  // A replica that cleaned its logs (retention.h) cannot give a receiver that lacks
  // what it cleaned a complete bundle: refused before any file is made.
  LIAISON_RETURN_IF_ERROR(CheckSinceCoversCleaned(replica.db(), since));
  BundleHeader header{replica.info().replica_id.value(),
                      replica.info().office_id.value(),
                      replica.info().role,
                      static_cast<std::uint32_t>(replica.info().schema_version),
                      WallMillis(),
                      since};
  if (options.signer != nullptr) {
    LIAISON_ASSIGN_OR_RETURN(std::string name,
                             CertificateSubject(options.signer->certificate_der()));
    if (name != SignerName(header)) {
      return Status::InvalidArgument("the signing certificate names " + name +
                                     ", this replica's bundles are signed by " +
                                     SignerName(header));
    }
  }
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  auto fail = [&](const Status& s) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    return s;
  };
  ExportStats stats;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::IoError("create " + tmp + ": " + std::strerror(errno));
    auto writer = BundleWriter::Begin(out, header, options.signer);
    if (!writer.ok()) return fail(writer.status());
    auto reader = ChangeReader::Open(replica, since);
    if (!reader.ok()) return fail(reader.status());
    for (;;) {
      auto change = reader->Next();
      if (!change.ok()) return fail(change.status());
      if (!change.value()) break;
      Status appended = writer->Append(**change);
      if (!appended.ok()) {
        return fail(appended.WithContext("change " + change.value()->name()));
      }
    }
    if (Status s = writer->Finish(); !s.ok()) return fail(s);
    out.close();
    if (!out) return fail(Status::IoError("close " + tmp + ": " + std::strerror(errno)));
    stats = {writer->records(), writer->bytes()};
  }
  if (Status s = SyncFile(tmp); !s.ok()) return fail(s);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return fail(Status::IoError("rename " + tmp + " to " + path + ": " + ec.message()));
  std::string dir = std::filesystem::path(path).parent_path().string();
  (void)SyncFile(dir.empty() ? "." : dir);  // best effort: the file itself is durable
  return stats;
}

Result<ImportStats> ImportBundle(Replica& replica, const std::string& path,
                                 const ImportOptions& options) {
  if (replica.info().role == Role::kHub) {
    return Status::FailedPrecondition(
        "this is the hub's master copy: changes enter it only through the hub "
        "(Hub::ImportBundle; `liaison import` does this)");
  }
  // One pass, in one transaction: each record is decoded and merged as it is read,
  // and the merge commits only after the trailer's count and hash check out. A bad
  // record or trailer anywhere rolls the whole import back.
  LIAISON_ASSIGN_OR_RETURN(std::ifstream in, OpenForRead(path));
  LIAISON_ASSIGN_OR_RETURN(BundleReader reader, BundleReader::Begin(in));
  const BundleHeader& header = reader.header();
  if (header.schema_version > static_cast<std::uint32_t>(replica.info().schema_version)) {
    return Status::FailedPrecondition(
        "bundle made with schema version " + std::to_string(header.schema_version) +
        ", this replica has " + std::to_string(replica.info().schema_version) +
        ": upgrade liaison first");
  }
  LIAISON_ASSIGN_OR_RETURN(Merger merger, Merger::Begin(replica));
  for (std::int64_t n = 1;; ++n) {
    LIAISON_ASSIGN_OR_RETURN(std::optional<Change> change, reader.Next());
    if (!change) break;
    Status applied = merger.Apply(*change);
    if (!applied.ok()) {
      return applied.WithContext("record " + std::to_string(n) + " (" + change->name() + ")");
    }
  }
  ImportStats stats;
  static_cast<ApplyStats&>(stats) = merger.stats();
  if (const std::optional<BundleSignature>& sig = reader.signature()) {
    LIAISON_ASSIGN_OR_RETURN(stats.signed_by, CertificateSubject(sig->certificate));
    LIAISON_ASSIGN_OR_RETURN(stats.signer_serial, CertificateSerial(sig->certificate));
    stats.signed_changes = sig->last_seq - sig->first_seq + 1;
    if (!options.ca_path.empty()) {
      Status trusted = CheckCertificateTrusted(sig->certificate, options.ca_path, options.crl_path);
      if (!trusted.ok()) {
        return trusted.WithContext("the bundle's signer " + stats.signed_by + " (serial 0x" +
                                   stats.signer_serial + ")");
      }
      stats.signer_trusted = true;
    }
  }
  LIAISON_RETURN_IF_ERROR(merger.Commit());
  return stats;
}

}  // namespace liaison
