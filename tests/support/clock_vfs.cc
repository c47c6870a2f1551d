#include "support/clock_vfs.h"

#include <sqlite3.h>

#include <atomic>
#include <cstdlib>

namespace liaison::testing {
namespace {

// Milliseconds from the start of the Julian day count to the Unix epoch.
constexpr sqlite3_int64 kUnixEpochJulianMillis = 210866760000000LL;

std::atomic<std::uint64_t> g_unix_millis{1'790'000'000'000ULL};

int CurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
  *out = kUnixEpochJulianMillis + static_cast<sqlite3_int64>(g_unix_millis.load());
  return SQLITE_OK;
}

int CurrentTime(sqlite3_vfs*, double* out) {
  sqlite3_int64 ms = 0;
  CurrentTimeInt64(nullptr, &ms);
  *out = static_cast<double>(ms) / 86400000.0;
  return SQLITE_OK;
}

}  // namespace

const char* ClockVfs::Register() {
  static const bool registered = [] {
    sqlite3_vfs* base = sqlite3_vfs_find(nullptr);
    if (base == nullptr) std::abort();
    static sqlite3_vfs vfs = *base;  // same methods and app data as the default
    vfs.zName = kName;
    vfs.pNext = nullptr;
    vfs.xCurrentTime = CurrentTime;
    if (vfs.iVersion >= 2) vfs.xCurrentTimeInt64 = CurrentTimeInt64;
    return sqlite3_vfs_register(&vfs, /*makeDflt=*/0) == SQLITE_OK;
  }();
  if (!registered) std::abort();
  return kName;
}

void ClockVfs::SetUnixMillis(std::uint64_t millis) { g_unix_millis.store(millis); }

std::uint64_t ClockVfs::UnixMillis() { return g_unix_millis.load(); }

}  // namespace liaison::testing
