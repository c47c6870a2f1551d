// Identifier and counter types. Each id has its own type so that an office id can
// not be passed where a replica id is expected.
//
// - ReplicaId: one replica file, chosen at `liaison init` (a time-ordered id).
// - OfficeId: the office a replica belongs to; also the owner value of its rows.
// - Seq: a replica's own change counter, 1, 2, 3, ... with no gaps; Seq() is 0, before
//   the first.
//
// Row primary keys are time-ordered ids: 12 hex digits of Unix milliseconds then 20
// random hex digits (32 lower-case hex characters). The schema's DEFAULT expression
// makes the same shape, so rows inserted from a `sqlite3` shell sort the same way.
//
// Thread-safety: plain values; NewRowId is safe to call from any thread.
#pragma once

#include <compare>
#include <concepts>
#include <cstdint>
#include <ostream>
#include <string>
#include <utility>

namespace liaison {

// A value with a type of its own: ids compare and print as their value, but one kind
// of id can not be passed for another. Counters (integral T) also have next().
template <typename Tag, typename T>
class StrongId {
 public:
  StrongId() = default;
  explicit StrongId(T value) : value_(std::move(value)) {}

  const T& value() const& { return value_; }
  // Moves the value out of an id that is no longer needed (no copy of a string).
  T&& value() && { return std::move(value_); }

  // The counter after this one: Seq(5).next() == Seq(6).
  StrongId next() const requires std::integral<T> { return StrongId(value_ + 1); }

  auto operator<=>(const StrongId&) const = default;

  // The value as text: an id as is, a counter in decimal.
  std::string ToString() const {
    if constexpr (std::integral<T>) {
      return std::to_string(value_);
    } else {
      return std::string(value_);
    }
  }
  friend std::ostream& operator<<(std::ostream& os, const StrongId& id) { return os << id.value_; }

 private:
  T value_{};
};

using ReplicaId = StrongId<struct ReplicaIdTag, std::string>;
using OfficeId = StrongId<struct OfficeIdTag, std::string>;
using Seq = StrongId<struct SeqTag, std::int64_t>;

// A new time-ordered row id (see above).
std::string NewRowId();

// True when `s` is usable as an office id: 1 to 64 characters of [a-z0-9-_.].
bool IsValidOfficeId(const std::string& s);

}  // namespace liaison
