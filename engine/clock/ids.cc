#include "liaison/ids.h"

#include <openssl/rand.h>

#include <cstdio>

#include "liaison/hlc.h"

namespace liaison {

std::string NewRowId() {
  unsigned char random[10];
  if (RAND_bytes(random, sizeof random) != 1) {
    // The CSPRNG failing is unrecoverable for id generation.
    std::abort();
  }
  char buf[33];
  std::snprintf(buf, sizeof buf, "%012llx", static_cast<unsigned long long>(WallMillis()));
  for (int i = 0; i < 10; ++i) std::snprintf(buf + 12 + 2 * i, 3, "%02x", random[i]);
  return std::string(buf, 32);
}

bool IsValidOfficeId(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace liaison
