// Hybrid logical clock: wall-clock milliseconds and a counter in one 64-bit value.
//
// Layout: the high 48 bits are milliseconds since the Unix epoch, the low 16 bits a
// counter. Ordering the packed value orders by (milliseconds, counter). A replica's
// next stamp is max(wall_ms << 16, last + 1, received + 1): it never goes backwards,
// even when the wall clock does, and it moves past every clock the replica has
// received. When more than 65,535 changes fall in one millisecond the counter carries
// into the millisecond part, which keeps the order strict.
//
// The same rule is written in SQL inside the capture triggers (capture/trigger_sql.cc)
// so that writes from any SQLite client are stamped identically.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <compare>
#include <cstdint>
#include <string>

namespace liaison {

class Hlc {
 public:
  static constexpr int kCounterBits = 16;

  constexpr Hlc() = default;
  constexpr explicit Hlc(std::uint64_t packed) : packed_(packed) {}
  static constexpr Hlc FromParts(std::uint64_t millis, std::uint64_t counter) {
    return Hlc((millis << kCounterBits) | (counter & 0xFFFF));
  }

  // The packed value as a SQLite INTEGER or a JSON number holds it: the same 64 bits,
  // signed (a value with the top bit set is negative there).
  static constexpr Hlc FromInt64(std::int64_t stored) {
    return Hlc(static_cast<std::uint64_t>(stored));
  }

  constexpr std::uint64_t packed() const { return packed_; }
  constexpr std::int64_t as_int64() const { return static_cast<std::int64_t>(packed_); }
  constexpr std::uint64_t millis() const { return packed_ >> kCounterBits; }
  constexpr std::uint64_t counter() const { return packed_ & 0xFFFF; }
  constexpr auto operator<=>(const Hlc&) const = default;

  // "2026-11-27T08:14:13.123Z#5"
  std::string ToString() const;

 private:
  std::uint64_t packed_ = 0;
};

// The stamp for a new local change: strictly after `last`, after `received`
// (the highest clock seen from other replicas), and at least the wall clock.
constexpr Hlc NextHlc(Hlc last, Hlc received, std::uint64_t wall_millis) {
  std::uint64_t next = wall_millis << Hlc::kCounterBits;
  if (last.packed() + 1 > next) next = last.packed() + 1;
  if (received.packed() + 1 > next) next = received.packed() + 1;
  return Hlc(next);
}

// Wall-clock milliseconds since the Unix epoch.
std::uint64_t WallMillis();

// A Unix-ms time in UTC, to the second: "2026-11-05T09:30:00Z".
std::string UtcText(std::int64_t ms);

}  // namespace liaison
