// Identifier and counter types. Each id has its own type so that an office id can
// not be passed where a replica id is expected.
//
// - ReplicaId: one replica file, chosen at `liaison init` (a time-ordered id).
// - OfficeId: the office a replica belongs to; also the owner value of its rows.
// - Seq: a replica's own change counter, 1, 2, 3, ... with no gaps.
//
// Row primary keys are time-ordered ids: 12 hex digits of Unix milliseconds then 20
// random hex digits (32 lower-case hex characters). The schema's DEFAULT expression
// makes the same shape, so rows inserted from a `sqlite3` shell sort the same way.
//
// Thread-safety: plain values; NewRowId is safe to call from any thread.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <utility>

namespace liaison {

template <typename Tag, typename T>
class StrongId {
 public:
  StrongId() = default;
  explicit StrongId(T value) : value_(std::move(value)) {}
  const T& value() const { return value_; }
  auto operator<=>(const StrongId&) const = default;

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
