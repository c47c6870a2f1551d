// The one cereal layer under both byte formats that carry changes: bundle records
// (BUNDLE.md) and wire frames (WIRE.md). Internal to engine/protocol.
//
// It holds the bounded input archive, the field readers every load uses, the
// save/load functions of Change, Clock and ColumnChange (declared in namespace
// liaison, where cereal finds them by argument-dependent lookup), and the two
// templates that run an archive over one payload and turn cereal's exceptions into
// a Status.
//
// Bounded decoding: a load only ever runs on a BoundedIn over a payload held in
// memory, and every length or count it reads is checked against the bytes left in
// that payload before a string or vector is sized. So decoding never allocates more
// than the payload holds, whatever its length fields claim. A load refuses bad input
// by throwing cereal::Exception with a message naming the field; DecodeArchive
// catches it.
//
// Thread-safety: plain functions; an archive belongs to one thread.
#pragma once

#include <algorithm>
#include <cereal/archives/portable_binary.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>
#include <sstream>
#include <streambuf>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "liaison/change.h"
#include "liaison/status.h"

namespace liaison {
namespace protocol_internal {

using Out = cereal::PortableBinaryOutputArchive;
using In = cereal::PortableBinaryInputArchive;

// The first byte of every payload: cereal's flag for little-endian data.
inline constexpr std::uint8_t kLittleEndianFlag = 0x01;
inline constexpr std::uint64_t kNoLimit = std::numeric_limits<std::uint64_t>::max();

// The fewest bytes an encoded Change can take: eight 8-byte fields (the lengths of
// origin, table, pk and epoch origin; seq, hlc, epoch hlc, value count) and op.
inline constexpr std::uint64_t kMinChangeBytes = 8 * 8 + 1;

// A read-only streambuf over a payload in memory; knows how much is left.
class PayloadBuf : public std::streambuf {
 public:
  explicit PayloadBuf(std::string_view bytes) {
    char* p = const_cast<char*>(bytes.data());  // never written through
    setg(p, p, p + bytes.size());
  }
  std::uint64_t remaining() const { return static_cast<std::uint64_t>(egptr() - gptr()); }
  void SkipRest() { setg(eback(), egptr(), egptr()); }
};

// The only input archive the loads are used with. `unit` names the payload in
// messages: "record" (bundles) or "frame" (wire). cereal's UserDataAdapter does the
// same but is still experimental in cereal 1.3.
class BoundedIn : public In {
 public:
  BoundedIn(std::istream& is, PayloadBuf& buf, const char* unit)
      : In(is, In::Options::LittleEndian()), buf_(buf), unit_(unit) {}
  std::uint64_t remaining() const { return buf_.remaining(); }
  void SkipRest() { buf_.SkipRest(); }
  const char* unit() const { return unit_; }

 private:
  PayloadBuf& buf_;
  const char* unit_;
};

[[noreturn]] void Refuse(const std::string& what);
BoundedIn& Bounded(In& ar);

// "... exceeds the 12 bytes left in the frame"
std::string BytesLeft(In& ar);

// A fixed-size field; refuses with the field's name when the payload ends inside it.
[[noreturn]] void RefuseTruncated(In& ar, const char* field, std::size_t bytes);
template <typename T>
void LoadFixed(In& ar, T& value, const char* field) {
  static_assert(std::is_arithmetic_v<T>);
  try {
    ar(value);  // cereal throws when the payload ends early
  } catch (const cereal::Exception&) {
    RefuseTruncated(ar, field, sizeof(T));
  }
}

void SaveStr(Out& ar, const std::string& s);
// A str (u64 length + bytes) of at most `max_bytes`, checked before sizing `s`.
void LoadStr(In& ar, std::string& s, const char* field, std::uint64_t max_bytes = kNoLimit);
// A str into an id, reusing the room of the id's current text.
void LoadId(In& ar, ReplicaId& id, const char* field);

void SaveBool(Out& ar, bool b);
bool LoadBool(In& ar, const char* field);  // u8 0 or 1, nothing else

// A u64 item count, at most `max_items`, and small enough that that many items of at
// least `min_item_bytes` fit in what is left of the payload.
std::uint64_t LoadCount(In& ar, const char* field, std::uint64_t min_item_bytes,
                        std::uint64_t max_items = kNoLimit);

// Reserves room for `count` items already checked by LoadCount, but never more than
// the bytes left in the payload could become: a count that the rest of the payload
// does not back with real items costs no memory up front.
template <typename T>
void ReserveAtMost(In& ar, std::vector<T>& items, std::uint64_t count) {
  const std::uint64_t backed = Bounded(ar).remaining() / sizeof(T) + 1;
  items.reserve(static_cast<std::size_t>(std::min(count, backed)));
}

// The bytes save() writes for `change`, without encoding it; refuses a REAL value.
Result<std::uint64_t> EncodedBytes(const Change& change);

// The bytes an output archive writes, appended to a string. The archive writes
// through the stream buffer alone (sputn), so no formatting state is involved.
class StringSink : public std::streambuf {
 public:
  std::string bytes;

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    bytes.append(s, static_cast<std::size_t>(n));
    return n;
  }
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof())) bytes.push_back(traits_type::to_char_type(c));
    return traits_type::not_eof(c);
  }
};

// Encodes `value` in one archive (flag byte first), after `prefix`. A refusal from a
// save function comes back as InvalidArgument with its bare message.
//
// Changes are encoded one by one on the hot paths (wire frames, digests, audit
// entries), so each thread keeps one sink and one stream to write through instead of
// building a std::ostringstream per call; a nested call (a save function encoding
// something of its own) gets fresh ones.
template <typename T>
Result<std::string> EncodeArchive(const T& value, std::string_view prefix = {}) {
  struct Writer {
    StringSink sink;
    std::ostream os{&sink};
    bool busy = false;
  };
  thread_local Writer shared;
  std::optional<Writer> own;
  Writer& w = shared.busy ? own.emplace() : shared;
  struct Release {
    bool& busy;
    ~Release() { busy = false; }
  };
  w.busy = true;
  Release release{w.busy};
  w.sink.bytes.assign(prefix);
  w.os.clear();
  try {
    {
      Out ar(w.os, Out::Options::LittleEndian());
      ar(value);
    }
  } catch (const cereal::Exception& e) {
    return Status::InvalidArgument(e.what());
  }
  // A large frame's buffer goes with it rather than staying with the thread.
  constexpr std::size_t kKeep = std::size_t{1} << 20;
  if (w.sink.bytes.capacity() > kKeep) return std::exchange(w.sink.bytes, std::string());
  return std::string(w.sink.bytes);
}

// Decodes one `T` that must fill `payload` exactly. Refusals come back as Corruption
// with their bare message; the caller adds where it was.
template <typename T>
Result<T> DecodeArchive(std::string_view payload, const char* unit) {
  if (payload.empty() || static_cast<std::uint8_t>(payload[0]) != kLittleEndianFlag) {
    return Status::Corruption("payload does not start with the little-endian flag 0x01");
  }
  try {
    PayloadBuf buf(payload);
    std::istream is(&buf);
    BoundedIn ar(is, buf, unit);
    T value;
    ar(value);
    if (buf.remaining() != 0) {
      return Status::Corruption(std::to_string(buf.remaining()) + " bytes left over");
    }
    return value;
  } catch (const cereal::Exception& e) {
    return Status::Corruption(e.what());
  } catch (const std::bad_alloc&) {
    return Status::Corruption(std::string("out of memory decoding a ") + unit);
  }
}

}  // namespace protocol_internal

// cereal save/load, found by argument-dependent lookup. Layouts: BUNDLE.md, "Change
// payload". Defined in codec.cc.
void save(protocol_internal::Out& ar, const Clock& c);
void load(protocol_internal::In& ar, Clock& c);
void save(protocol_internal::Out& ar, const ColumnChange& cv);
void load(protocol_internal::In& ar, ColumnChange& cv);
void save(protocol_internal::Out& ar, const Change& c);
void load(protocol_internal::In& ar, Change& c);

}  // namespace liaison
