// A SQLite VFS with a settable clock, for tests of the capture triggers' clock.
//
// It wraps the default VFS and overrides only xCurrentTime and xCurrentTimeInt64,
// which is where SQLite's 'now' (and so the triggers' wall clock) comes from.
// Open a replica with OpenOptions{.vfs = ClockVfs::kName} to use it.
//
// Thread-safety: the clock is one process-wide atomic; tests using it must not run
// concurrently with each other.
#pragma once

#include <cstdint>

namespace liaison::testing {

class ClockVfs {
 public:
  static constexpr const char* kName = "liaison-test-clock";

  // Registers the VFS once (not as the default) and returns its name.
  static const char* Register();

  // Sets the clock, in milliseconds since the Unix epoch.
  static void SetUnixMillis(std::uint64_t millis);
  static std::uint64_t UnixMillis();
};

}  // namespace liaison::testing
