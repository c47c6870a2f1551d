// Bundle record payloads: the cereal save/load functions that lay out a Change and a
// BundleHeader exactly as engine/protocol/BUNDLE.md specifies, and the pure codecs
// of liaison/bundle.h built on them.
//
// Every load is bounded: the archive (BoundedIn, a PortableBinaryInputArchive that
// knows its payload) tells how many bytes are left, and every length field is checked
// against that before a string or vector is sized. cereal's exceptions stay here.
#include <cereal/archives/portable_binary.hpp>
#include <sstream>
#include <streambuf>

#include "liaison/bundle.h"

namespace liaison {
namespace {

// A read-only streambuf over a payload in memory; knows how much is left.
class PayloadBuf : public std::streambuf {
 public:
  explicit PayloadBuf(std::string_view bytes) {
    char* p = const_cast<char*>(bytes.data());  // never written through
    setg(p, p, p + bytes.size());
  }
  std::uint64_t remaining() const { return static_cast<std::uint64_t>(egptr() - gptr()); }
};

using Out = cereal::PortableBinaryOutputArchive;
using In = cereal::PortableBinaryInputArchive;

// The only input archive the load functions below are used with. cereal's
// UserDataAdapter does the same but is still experimental in cereal 1.3.
class BoundedIn : public In {
 public:
  BoundedIn(std::istream& is, const PayloadBuf& buf)
      : In(is, In::Options::LittleEndian()), buf_(buf) {}
  std::uint64_t remaining() const { return buf_.remaining(); }

 private:
  const PayloadBuf& buf_;
};

constexpr std::uint8_t kLittleEndianFlag = 0x01;
constexpr std::uint8_t kValueNull = 0x00, kValueInteger = 0x01, kValueText = 0x02,
                       kValueRealReserved = 0x03;
constexpr std::uint64_t kMinValueEntryBytes = 10;  // column len 8, value tag 1, has_base 1

[[noreturn]] void Refuse(const std::string& what) { throw cereal::Exception(what); }

std::uint64_t Remaining(In& ar) {
  auto* bounded = dynamic_cast<BoundedIn*>(&ar);
  if (bounded == nullptr) Refuse("bundle records are decoded only with a bounded archive");
  return bounded->remaining();
}

void SaveStr(Out& ar, const std::string& s) {
  ar(static_cast<std::uint64_t>(s.size()));
  ar(cereal::binary_data(s.data(), s.size()));
}

void LoadStr(In& ar, std::string& s, const char* field) {
  std::uint64_t size = 0;
  ar(size);
  if (size > Remaining(ar)) {
    Refuse(std::string(field) + " length " + std::to_string(size) + " exceeds the " +
           std::to_string(Remaining(ar)) + " bytes left in the record");
  }
  s.resize(static_cast<size_t>(size));
  ar(cereal::binary_data(s.data(), s.size()));
}

void SaveValue(Out& ar, const Value& v) {
  if (std::holds_alternative<std::monostate>(v)) {
    ar(kValueNull);
  } else if (const auto* i = std::get_if<std::int64_t>(&v)) {
    ar(kValueInteger, *i);
  } else if (const auto* s = std::get_if<std::string>(&v)) {
    ar(kValueText);
    SaveStr(ar, *s);
  } else {
    Refuse("REAL values can not be carried in a bundle");
  }
}

void LoadValue(In& ar, Value& v) {
  std::uint8_t tag = 0;
  ar(tag);
  switch (tag) {
    case kValueNull:
      v = std::monostate{};
      return;
    case kValueInteger: {
      std::int64_t i = 0;
      ar(i);
      v = i;
      return;
    }
    case kValueText: {
      std::string s;
      LoadStr(ar, s, "text value");
      v = std::move(s);
      return;
    }
    case kValueRealReserved:
      Refuse("REAL value (tag 0x03) is not allowed");
    default:
      Refuse("unknown value tag " + std::to_string(tag));
  }
}

}  // namespace

// ---- cereal save/load, found by argument-dependent lookup. Layouts: BUNDLE.md.

void save(Out& ar, const Clock& c) {
  ar(c.hlc);
  SaveStr(ar, c.origin);
}

void load(In& ar, Clock& c) {
  ar(c.hlc);
  LoadStr(ar, c.origin, "clock origin");
}

void save(Out& ar, const ColumnChange& cv) {
  SaveStr(ar, cv.column);
  SaveValue(ar, cv.value);
  ar(static_cast<std::uint8_t>(cv.base ? 1 : 0));
  if (cv.base) ar(*cv.base);
}

void load(In& ar, ColumnChange& cv) {
  LoadStr(ar, cv.column, "column name");
  LoadValue(ar, cv.value);
  std::uint8_t has_base = 0;
  ar(has_base);
  if (has_base > 1) Refuse("bad base flag " + std::to_string(has_base));
  cv.base.reset();
  if (has_base == 1) ar(cv.base.emplace());
}

void save(Out& ar, const Change& c) {
  SaveStr(ar, c.origin);
  ar(c.seq, c.hlc);
  SaveStr(ar, c.table);
  SaveStr(ar, c.pk);
  ar(static_cast<std::uint8_t>(c.op), c.epoch);
  ar(static_cast<std::uint64_t>(c.values.size()));
  for (const auto& cv : c.values) ar(cv);
}

void load(In& ar, Change& c) {
  LoadStr(ar, c.origin, "origin");
  ar(c.seq, c.hlc);
  LoadStr(ar, c.table, "table");
  LoadStr(ar, c.pk, "row id");
  std::uint8_t op = 0;
  ar(op, c.epoch);
  if (op != 'I' && op != 'U' && op != 'D') Refuse("unknown operation " + std::to_string(op));
  c.op = static_cast<ChangeOp>(op);
  std::uint64_t count = 0;
  ar(count);
  if (count > Remaining(ar) / kMinValueEntryBytes) {
    Refuse("value count " + std::to_string(count) + " does not fit the " +
           std::to_string(Remaining(ar)) + " bytes left in the record");
  }
  c.values.clear();
  c.values.reserve(static_cast<size_t>(count));
  for (std::uint64_t i = 0; i < count; ++i) ar(c.values.emplace_back());
}

void save(Out& ar, const BundleHeader& h) {
  SaveStr(ar, h.replica_id);
  SaveStr(ar, h.office_id);
  ar(static_cast<std::uint8_t>(h.role == Role::kHub ? 1 : 0), h.schema_version, h.created_ms);
  ar(static_cast<std::uint64_t>(h.since.size()));
  for (const auto& [origin, seq] : h.since) {
    SaveStr(ar, origin);
    ar(seq);
  }
}

void load(In& ar, BundleHeader& h) {
  LoadStr(ar, h.replica_id, "replica id");
  LoadStr(ar, h.office_id, "office id");
  std::uint8_t role = 0;
  ar(role, h.schema_version, h.created_ms);
  if (role > 1) Refuse("unknown role " + std::to_string(role));
  h.role = role == 1 ? Role::kHub : Role::kOffice;
  std::uint64_t count = 0;
  ar(count);
  if (count > Remaining(ar) / 16) Refuse("version vector too long for the record");
  h.since.clear();
  std::string last;
  for (std::uint64_t i = 0; i < count; ++i) {
    std::string origin;
    std::int64_t seq = 0;
    LoadStr(ar, origin, "version vector origin");
    ar(seq);
    if (seq < 0) Refuse("negative sequence number in version vector");
    if (i > 0 && origin <= last) Refuse("version vector not sorted");
    last = origin;
    h.since.emplace(std::move(origin), seq);
  }
}

namespace {

template <typename T>
Result<std::string> Encode(const T& value, const char* what) {
  try {
    std::ostringstream os(std::ios::binary);
    {
      Out ar(os, Out::Options::LittleEndian());
      ar(value);
    }
    return std::move(os).str();
  } catch (const cereal::Exception& e) {
    return Status::InvalidArgument(std::string("encode ") + what + ": " + e.what());
  }
}

template <typename T>
Result<T> Decode(std::string_view payload) {
  if (payload.empty() || static_cast<std::uint8_t>(payload[0]) != kLittleEndianFlag) {
    return Status::Corruption("payload does not start with the little-endian flag 0x01");
  }
  try {
    PayloadBuf buf(payload);
    std::istream is(&buf);
    BoundedIn ar(is, buf);
    T value;
    ar(value);
    if (buf.remaining() != 0) {
      return Status::Corruption(std::to_string(buf.remaining()) + " bytes left over");
    }
    return value;
  } catch (const cereal::Exception& e) {
    return Status::Corruption(e.what());
  } catch (const std::bad_alloc&) {
    return Status::Corruption("out of memory decoding a record");
  }
}

}  // namespace

Result<std::string> EncodeChangePayload(const Change& change) { return Encode(change, "change"); }

Result<Change> DecodeChangePayload(std::string_view payload) { return Decode<Change>(payload); }

Result<std::string> EncodeHeaderPayload(const BundleHeader& header) {
  return Encode(header, "bundle header");
}

Result<BundleHeader> DecodeHeaderPayload(std::string_view payload) {
  return Decode<BundleHeader>(payload);
}

}  // namespace liaison
