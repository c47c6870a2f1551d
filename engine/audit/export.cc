// The exported log (liaison/audit.h, engine/audit/AUDIT.md "The exported log"):
// written from a verified chain, read back and checked record by record.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>

#include "audit/batches.h"
#include "base/record_file.h"
#include "liaison/audit.h"
#include "liaison/hlc.h"
#include "liaison/pki.h"
#include "protocol/codec.h"

namespace liaison {
namespace {

using protocol_internal::DecodeArchive;
using protocol_internal::EncodeArchive;
using protocol_internal::In;
using protocol_internal::LoadFixed;
using protocol_internal::LoadStr;
using protocol_internal::Out;
using protocol_internal::SaveStr;

constexpr std::string_view kMagic = "LIAISON-AUDIT-1\n";
constexpr std::uint32_t kMaxRecordBytes = 64u << 20;
constexpr std::size_t kHead = 32;
constexpr const char* kUnit = "record";

enum class Kind : std::uint8_t {
  kHeader = 0x01,
  kCaCertificate = 0x02,
  kEntry = 0x10,
  kCheckpoint = 0x20,
  kBatch = 0x30,
  kTrailer = 0x7f,
};

struct Header {
  std::string hub_replica_id, hub_office_id;
  std::uint32_t schema_version = 0;
  std::uint64_t exported_ms = 0;
};

void save(Out& ar, const Header& h) {
  SaveStr(ar, h.hub_replica_id);
  SaveStr(ar, h.hub_office_id);
  ar(h.schema_version, h.exported_ms);
}

void load(In& ar, Header& h) {
  LoadStr(ar, h.hub_replica_id, "hub replica id", 64);
  LoadStr(ar, h.hub_office_id, "hub office id", 64);
  LoadFixed(ar, h.schema_version, "schema version");
  LoadFixed(ar, h.exported_ms, "exported_ms");
}

struct CheckpointRecord {
  Checkpoint cp;
};

void save(Out& ar, const CheckpointRecord& r) {
  ar(r.cp.n);
  SaveStr(ar, r.cp.head);
  ar(r.cp.signed_ms);
  SaveStr(ar, r.cp.signature);
  SaveStr(ar, r.cp.certificate);
}

void load(In& ar, CheckpointRecord& r) {
  LoadFixed(ar, r.cp.n, "n");
  LoadStr(ar, r.cp.head, "head", kHead);
  LoadFixed(ar, r.cp.signed_ms, "signed_ms");
  LoadStr(ar, r.cp.signature, "signature", 256);
  LoadStr(ar, r.cp.certificate, "certificate", 16384);
}

struct BatchRecord {
  SignedBatch b;
};

void save(Out& ar, const BatchRecord& r) {
  SaveStr(ar, r.b.office);
  SaveStr(ar, r.b.origin);
  ar(r.b.first_seq, r.b.last_seq, r.b.accepted_ms);
  SaveStr(ar, r.b.digests);
  SaveStr(ar, r.b.signature);
  SaveStr(ar, r.b.certificate);
}

void load(In& ar, BatchRecord& r) {
  LoadStr(ar, r.b.office, "office", 64);
  LoadStr(ar, r.b.origin, "origin", 64);
  LoadFixed(ar, r.b.first_seq, "first seq");
  LoadFixed(ar, r.b.last_seq, "last seq");
  LoadFixed(ar, r.b.accepted_ms, "accepted_ms");
  LoadStr(ar, r.b.digests, "digests");
  LoadStr(ar, r.b.signature, "signature", 256);
  LoadStr(ar, r.b.certificate, "certificate", 16384);
}

// An entry as AUDIT.md encodes it, decoded.
struct Entry {
  std::uint64_t n = 0, accepted_ms = 0;
  std::string office;
  Change change;
};

void load(In& ar, Entry& e) {
  LoadFixed(ar, e.n, "n");
  LoadFixed(ar, e.accepted_ms, "accepted_ms");
  LoadStr(ar, e.office, "office", 64);
  ar(e.change);
}

struct Trailer {
  std::uint64_t records = 0, entries = 0;
};

void save(Out& ar, const Trailer& t) { ar(t.records, t.entries); }
void load(In& ar, Trailer& t) {
  LoadFixed(ar, t.records, "records");
  LoadFixed(ar, t.entries, "entries");
}

// Writes records, hashing every byte (base/record_file.h).
class LogWriter {
 public:
  explicit LogWriter(std::ofstream& out) : file_(out) { file_.Raw(kMagic); }
  void Record(Kind kind, std::string_view payload) {
    file_.Record(static_cast<std::uint8_t>(kind), payload);
    ++records_;
  }
  Status Close(std::uint64_t entries) {
    LIAISON_ASSIGN_OR_RETURN(std::string payload, EncodeArchive(Trailer{records_, entries}));
    file_.Close(static_cast<std::uint8_t>(Kind::kTrailer), payload);
    if (!file_.ok()) return Status::IoError("cannot write the log");
    return Status::Ok();
  }
  std::uint64_t bytes() const { return file_.bytes(); }

 private:
  HashedRecordWriter file_;
  std::uint64_t records_ = 0;
};

// Reads records, hashing every byte before the trailer's digest (base/record_file.h).
class LogReader {
 public:
  explicit LogReader(std::ifstream& in) : file_(in, static_cast<std::uint8_t>(Kind::kTrailer)) {}

  // The file's magic; false when it is not there.
  bool ReadMagic() {
    std::string magic;
    return file_.Raw(magic, kMagic.size()) && magic == kMagic;
  }

  struct Record {
    Kind kind;
    std::string payload;
  };
  // The next record; nullopt at the end of the file (`cut` tells whether it ended in
  // the middle of one). Corruption for a length above the limit.
  Result<std::optional<Record>> Next(bool& cut) {
    HashedRecordReader::Head head;
    const HashedRecordReader::Read read = file_.NextHead(head);
    cut = read == HashedRecordReader::Read::kCut;
    if (read != HashedRecordReader::Read::kDone) return std::optional<Record>();
    if (head.length > kMaxRecordBytes) {
      return Status::Corruption("a record claims " + std::to_string(head.length) +
                                " bytes, above the " + std::to_string(kMaxRecordBytes) +
                                "-byte limit");
    }
    std::string payload;
    if (!file_.Payload(head, payload)) {
      cut = true;
      return std::optional<Record>();
    }
    return std::optional<Record>(Record{static_cast<Kind>(head.kind), std::move(payload)});
  }

  std::string Digest() { return file_.Digest(); }
  bool AtEnd() { return file_.AtEnd(); }

 private:
  HashedRecordReader file_;
};

std::string EntryRecordName(const Entry& e) { return e.change.table + " " + e.change.pk; }

// The file's header and CA certificate; the reader stands at the first record after.
struct Opened {
  Header header;
  std::string ca_der;
  std::string unreadable;  // why the record after them could not be read
};

// The next record into `record`; a record that cannot be read leaves it empty, with
// the reason in `problem`.
void NextRecord(LogReader& reader, std::optional<LogReader::Record>& record, bool& cut,
                std::string& problem) {
  Result<std::optional<LogReader::Record>> next = reader.Next(cut);
  if (next.ok()) {
    record = std::move(*next);
  } else {
    record.reset();
    problem = next.status().message();
  }
}

Result<Opened> ReadHead(LogReader& reader, const std::string& path,
                        std::optional<LogReader::Record>& pending) {
  if (!reader.ReadMagic()) return Status::Corruption(path + " is not an exported audit log");
  bool cut = false;
  LIAISON_ASSIGN_OR_RETURN(std::optional<LogReader::Record> first, reader.Next(cut));
  if (!first || first->kind != Kind::kHeader) {
    return Status::Corruption(path + ": the log's header is missing or damaged");
  }
  Opened opened;
  Result<Header> header = DecodeArchive<Header>(first->payload, kUnit);
  if (!header.ok()) return Status::Corruption(path + ": the log's header: " + header.status().message());
  opened.header = std::move(*header);
  NextRecord(reader, pending, cut, opened.unreadable);
  if (pending && pending->kind == Kind::kCaCertificate) {
    opened.ca_der = std::move(pending->payload);
    NextRecord(reader, pending, cut, opened.unreadable);
  }
  return opened;
}

Result<ChainReport> WalkFile(const std::string& path, const EntryVisitor& visit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot open " + path);
  LogReader reader(in);
  std::optional<LogReader::Record> record;
  LIAISON_ASSIGN_OR_RETURN(Opened opened, ReadHead(reader, path, record));
  ChainReport report;
  auto bad = [&](std::int64_t n, std::string problem) {
    report.bad_entry = n;
    report.problem = std::move(problem);
    return report;
  };
  std::uint64_t records = opened.ca_der.empty() ? 1 : 2;
  bool cut = false;
  std::string unreadable = opened.unreadable;
  auto next = [&] {
    ++records;
    NextRecord(reader, record, cut, unreadable);
  };
  auto ended = [&]() {
    const std::string after = " after entry " + std::to_string(report.entries);
    if (!unreadable.empty()) return bad(report.entries + 1, "the record" + after + ": " + unreadable);
    return bad(report.entries + 1,
               cut ? "the log ends in the middle of a record" + after + ": it was cut"
                   : "the log ends" + after + " without its closing record: its tail was cut");
  };
  // Checkpoints come first, so that each is checked when the walk reaches its entry.
  std::vector<Checkpoint> signed_checkpoints;
  if (!record) return ended();
  while (record && record->kind == Kind::kCheckpoint) {
    Result<CheckpointRecord> cp = DecodeArchive<CheckpointRecord>(record->payload, kUnit);
    if (!cp.ok()) return bad(0, "a checkpoint record cannot be read: " + cp.status().message());
    signed_checkpoints.push_back(std::move(cp->cp));
    next();
  }
  const audit_internal::CheckpointChecker checkpoints(std::move(signed_checkpoints),
                                                      opened.ca_der);
  std::vector<SignedBatch> signed_batches;
  while (record && record->kind == Kind::kBatch) {
    Result<BatchRecord> b = DecodeArchive<BatchRecord>(record->payload, kUnit);
    if (!b.ok()) return bad(0, "a signed batch record cannot be read: " + b.status().message());
    signed_batches.push_back(std::move(b->b));
    next();
  }
  audit_internal::BatchChecker batches(opened.header.hub_replica_id, std::move(signed_batches));
  std::string head = GenesisHead();
  if (std::string problem = checkpoints.Check(0, head, report); !problem.empty()) {
    return bad(0, problem);
  }
  for (;;) {
    if (!record) return ended();
    if (record->kind != Kind::kEntry) break;
    const std::int64_t n = report.entries + 1;
    if (record->payload.size() < kHead) return bad(n, "entry " + std::to_string(n) + " is too short");
    const std::string_view bytes =
        std::string_view(record->payload).substr(0, record->payload.size() - kHead);
    Result<Entry> entry = DecodeArchive<Entry>(bytes, kUnit);
    if (!entry.ok()) {
      return bad(n, "entry " + std::to_string(n) + " cannot be read: " + entry.status().message());
    }
    if (static_cast<std::int64_t>(entry->n) != n) {
      return bad(n, "entry " + std::to_string(n) + " is missing: the next one in the log is " +
                        std::to_string(entry->n) + " (an entry removed, inserted or moved)");
    }
    std::string next_head = ChainStep(head, std::string(bytes));
    if (next_head != std::string_view(record->payload).substr(bytes.size())) {
      return bad(n, "entry " + std::to_string(n) + " does not match its hash: the change (" +
                        EntryRecordName(*entry) + "), its time or its office was altered");
    }
    head = std::move(next_head);
    std::string problem = checkpoints.Check(n, head, report);
    if (!problem.empty()) return bad(n, problem);
    ChainEntry ce{n, static_cast<std::int64_t>(entry->accepted_ms), entry->office, &entry->change,
                  {}, head, bytes};
    LIAISON_ASSIGN_OR_RETURN(problem,
                             batches.Check(n, entry->office, entry->change, bytes, ce.signed_by,
                                           report));
    if (!problem.empty()) return bad(n, problem);
    report.entries = n;
    if (visit) LIAISON_RETURN_IF_ERROR(visit(ce));
    next();
  }
  if (record->kind != Kind::kTrailer || record->payload.size() < kHead) {
    return bad(report.entries + 1, "an unexpected record follows entry " +
                                       std::to_string(report.entries));
  }
  if (std::string problem = checkpoints.AfterEnd(report.entries); !problem.empty()) {
    return bad(report.entries + 1, problem);
  }
  const std::string_view payload = record->payload;
  Result<Trailer> trailer = DecodeArchive<Trailer>(payload.substr(0, payload.size() - kHead), kUnit);
  const std::string digest = reader.Digest();
  if (!trailer.ok() || trailer->entries != static_cast<std::uint64_t>(report.entries) ||
      trailer->records != records || digest != payload.substr(payload.size() - kHead)) {
    return bad(0, "the log's closing hash or counts do not match: a byte of the header, a "
                  "certificate or a checkpoint was changed, or records were added");
  }
  if (!reader.AtEnd()) return bad(0, "bytes follow the log's closing record");
  report.head = HexBytes(head);
  return report;
}

}  // namespace

bool IsAuditLogFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string magic(kMagic.size(), '\0');
  in.read(magic.data(), static_cast<std::streamsize>(magic.size()));
  return in && magic == kMagic;
}

Result<LogExportStats> ExportChain(Replica& hub, const std::string& out, std::string_view ca_der) {
  if (std::filesystem::exists(out)) return Status::AlreadyExists(out + " already exists");
  LogExportStats stats;
  Status written = [&]() -> Status {
    std::ofstream file(out, std::ios::binary | std::ios::trunc);
    if (!file) return Status::IoError("cannot create " + out);
    LogWriter writer(file);
    Header header{hub.info().replica_id.value(), hub.info().office_id.value(),
                  static_cast<std::uint32_t>(hub.info().schema_version), WallMillis()};
    LIAISON_ASSIGN_OR_RETURN(std::string header_bytes, EncodeArchive(header));
    writer.Record(Kind::kHeader, header_bytes);
    if (!ca_der.empty()) writer.Record(Kind::kCaCertificate, ca_der);
    LIAISON_ASSIGN_OR_RETURN(std::vector<Checkpoint> checkpoints,
                             audit_internal::LoadCheckpoints(hub.db()));
    for (Checkpoint& cp : checkpoints) {
      LIAISON_ASSIGN_OR_RETURN(std::string bytes, EncodeArchive(CheckpointRecord{std::move(cp)}));
      writer.Record(Kind::kCheckpoint, bytes);
      ++stats.checkpoints;
    }
    LIAISON_ASSIGN_OR_RETURN(std::vector<SignedBatch> signed_batches,
                             audit_internal::LoadSignedBatches(hub.db()));
    for (SignedBatch& b : signed_batches) {
      LIAISON_ASSIGN_OR_RETURN(std::string bytes, EncodeArchive(BatchRecord{std::move(b)}));
      writer.Record(Kind::kBatch, bytes);
    }
    // The walk hands over each entry's bytes and head as it verified them.
    auto write_entry = [&](const ChainEntry& e) -> Status {
      writer.Record(Kind::kEntry, std::string(e.bytes) + std::string(e.head));
      return Status::Ok();
    };
    LIAISON_ASSIGN_OR_RETURN(ChainReport report, WalkChain(hub, write_entry));
    if (!report.ok()) {
      return Status::Corruption("audit chain broken at entry " + std::to_string(report.bad_entry) +
                                ": " + report.problem);
    }
    stats.entries = report.entries;
    LIAISON_RETURN_IF_ERROR(writer.Close(static_cast<std::uint64_t>(report.entries)));
    stats.bytes = writer.bytes();
    return Status::Ok();
  }();
  if (!written.ok()) {
    std::remove(out.c_str());
    return written;
  }
  return stats;
}

Result<AuditLogFile> AuditLogFile::Open(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot open " + path);
  LogReader reader(in);
  std::optional<LogReader::Record> pending;
  LIAISON_ASSIGN_OR_RETURN(Opened opened, ReadHead(reader, path, pending));
  AuditLogFile file;
  file.path_ = path;
  file.hub_replica_id_ = opened.header.hub_replica_id;
  file.hub_office_ = OfficeId(opened.header.hub_office_id);
  file.schema_version_ = static_cast<int>(opened.header.schema_version);
  file.exported_ms_ = static_cast<std::int64_t>(opened.header.exported_ms);
  if (!opened.ca_der.empty()) {
    Result<std::string> subject = CertificateSubject(opened.ca_der);
    file.ca_subject_ = subject.ok() ? *subject : "(unreadable)";
  }
  return file;
}

ChainSource AuditLogFile::source() const {
  ChainSource source;
  source.hub_office = hub_office_;
  source.schema_version = schema_version_;
  source.walk = [path = path_](const EntryVisitor& visit) { return WalkFile(path, visit); };
  return source;
}

}  // namespace liaison
