// The shared cereal layer of bundles and wire frames (codec.h): bounded field
// readers, and the layout of a Change as BUNDLE.md's "Change payload" section fixes
// it, used by bundle records and by the wire's PushBatch and PullBatch alike.
#include "protocol/codec.h"

namespace liaison {
namespace protocol_internal {
namespace {

constexpr std::uint8_t kValueNull = 0x00, kValueInteger = 0x01, kValueText = 0x02,
                       kValueRealReserved = 0x03;
constexpr std::uint64_t kMinValueEntryBytes = 10;  // column len 8, value tag 1, has_base 1

void SaveValue(Out& ar, const Value& v, const std::string& column) {
  if (std::holds_alternative<std::monostate>(v)) {
    ar(kValueNull);
  } else if (const auto* i = std::get_if<std::int64_t>(&v)) {
    ar(kValueInteger, *i);
  } else if (const auto* s = std::get_if<std::string>(&v)) {
    ar(kValueText);
    SaveStr(ar, *s);
  } else {
    Refuse("column " + column + ": REAL values can not be carried");
  }
}

void LoadValue(In& ar, Value& v) {
  std::uint8_t tag = 0;
  LoadFixed(ar, tag, "value tag");
  switch (tag) {
    case kValueNull:
      v = std::monostate{};
      return;
    case kValueInteger: {
      std::int64_t i = 0;
      LoadFixed(ar, i, "integer value");
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

std::uint64_t StrBytes(const std::string& s) { return 8 + s.size(); }
std::uint64_t ClockBytes(const Clock& c) { return 8 + StrBytes(c.origin.value()); }

}  // namespace

void Refuse(const std::string& what) { throw cereal::Exception(what); }

BoundedIn& Bounded(In& ar) {
  auto* bounded = dynamic_cast<BoundedIn*>(&ar);
  if (bounded == nullptr) Refuse("payloads are decoded only with a bounded archive");
  return *bounded;
}

std::string BytesLeft(In& ar) {
  return std::to_string(Bounded(ar).remaining()) + " bytes left in the " + Bounded(ar).unit();
}

void RefuseTruncated(In& ar, const char* field, std::size_t bytes) {
  Refuse(std::string(field) + ": the " + Bounded(ar).unit() + " ends inside its " +
         std::to_string(bytes) + " bytes");
}

void SaveStr(Out& ar, const std::string& s) {
  ar(static_cast<std::uint64_t>(s.size()));
  ar(cereal::binary_data(s.data(), s.size()));
}

void LoadStr(In& ar, std::string& s, const char* field, std::uint64_t max_bytes) {
  std::uint64_t size = 0;
  LoadFixed(ar, size, field);
  if (size > max_bytes) {
    Refuse(std::string(field) + " length " + std::to_string(size) + " exceeds the " +
           std::to_string(max_bytes) + "-byte limit");
  }
  if (size > Bounded(ar).remaining()) {
    Refuse(std::string(field) + " length " + std::to_string(size) + " exceeds the " +
           BytesLeft(ar));
  }
  s.resize(static_cast<size_t>(size));
  ar(cereal::binary_data(s.data(), s.size()));
}

void LoadId(In& ar, ReplicaId& id, const char* field) {
  std::string text = std::move(id).value();
  LoadStr(ar, text, field);
  id = ReplicaId(std::move(text));
}

void SaveBool(Out& ar, bool b) { ar(static_cast<std::uint8_t>(b ? 1 : 0)); }

bool LoadBool(In& ar, const char* field) {
  std::uint8_t b = 0;
  LoadFixed(ar, b, field);
  if (b > 1) Refuse(std::string(field) + " is " + std::to_string(b) + ", not 0 or 1");
  return b == 1;
}

std::uint64_t LoadCount(In& ar, const char* field, std::uint64_t min_item_bytes,
                        std::uint64_t max_items) {
  std::uint64_t count = 0;
  LoadFixed(ar, count, field);
  if (count > max_items) {
    Refuse(std::string(field) + " " + std::to_string(count) + " exceeds the limit of " +
           std::to_string(max_items));
  }
  if (count > Bounded(ar).remaining() / min_item_bytes) {
    Refuse(std::string(field) + " " + std::to_string(count) + " does not fit the " + BytesLeft(ar));
  }
  return count;
}

Result<std::uint64_t> EncodedBytes(const Change& change) {
  std::uint64_t bytes = StrBytes(change.origin.value()) + 8 + 8 + StrBytes(change.table) +
                        StrBytes(change.pk) + 1 + ClockBytes(change.epoch) + 8;
  for (const auto& cv : change.values) {
    bytes += StrBytes(cv.column) + 1 + (cv.base ? ClockBytes(*cv.base) : 0);
    if (std::holds_alternative<std::int64_t>(cv.value)) {
      bytes += 1 + 8;
    } else if (const auto* s = std::get_if<std::string>(&cv.value)) {
      bytes += 1 + StrBytes(*s);
    } else if (std::holds_alternative<std::monostate>(cv.value)) {
      bytes += 1;
    } else {
      return Status::InvalidArgument("column " + cv.column + ": REAL values can not be carried");
    }
  }
  return bytes;
}

}  // namespace protocol_internal

// ---- cereal save/load, found by argument-dependent lookup. Layouts: BUNDLE.md.

namespace codec = protocol_internal;

void save(codec::Out& ar, const Clock& c) {
  ar(c.hlc.packed());
  codec::SaveStr(ar, c.origin.value());
}

void load(codec::In& ar, Clock& c) {
  std::uint64_t hlc = 0;
  codec::LoadFixed(ar, hlc, "clock hlc");
  c.hlc = Hlc(hlc);
  codec::LoadId(ar, c.origin, "clock origin");
}

void save(codec::Out& ar, const ColumnChange& cv) {
  codec::SaveStr(ar, cv.column);
  codec::SaveValue(ar, cv.value, cv.column);
  codec::SaveBool(ar, cv.base.has_value());
  if (cv.base) ar(*cv.base);
}

void load(codec::In& ar, ColumnChange& cv) {
  codec::LoadStr(ar, cv.column, "column name");
  codec::LoadValue(ar, cv.value);
  cv.base.reset();
  if (codec::LoadBool(ar, "base flag")) ar(cv.base.emplace());
}

void save(codec::Out& ar, const Change& c) {
  codec::SaveStr(ar, c.origin.value());
  ar(c.seq.value(), c.hlc.packed());
  codec::SaveStr(ar, c.table);
  codec::SaveStr(ar, c.pk);
  ar(static_cast<std::uint8_t>(c.op), c.epoch);
  ar(static_cast<std::uint64_t>(c.values.size()));
  for (const auto& cv : c.values) ar(cv);
}

void load(codec::In& ar, Change& c) {
  codec::LoadId(ar, c.origin, "origin");
  std::int64_t seq = 0;
  codec::LoadFixed(ar, seq, "seq");
  c.seq = Seq(seq);
  std::uint64_t hlc = 0;
  codec::LoadFixed(ar, hlc, "hlc");
  c.hlc = Hlc(hlc);
  codec::LoadStr(ar, c.table, "table");
  codec::LoadStr(ar, c.pk, "row id");
  std::uint8_t op = 0;
  codec::LoadFixed(ar, op, "op");
  if (op != 'I' && op != 'U' && op != 'D') codec::Refuse("unknown operation " + std::to_string(op));
  c.op = static_cast<ChangeOp>(op);
  ar(c.epoch);
  std::uint64_t count = codec::LoadCount(ar, "value count", codec::kMinValueEntryBytes);
  c.values.clear();
  codec::ReserveAtMost(ar, c.values, count);
  for (std::uint64_t i = 0; i < count; ++i) ar(c.values.emplace_back());
}

}  // namespace liaison
