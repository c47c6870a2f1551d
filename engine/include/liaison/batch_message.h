// The bytes an office signs for a batch of its changes (engine/audit/AUDIT.md,
// "Signed batches"): each change's digest over its canonical bytes (BUNDLE.md,
// "Change payload"), and the message over a run of them. A push batch
// (kCapSignedPush, WIRE.md) and a signed bundle (BUNDLE.md) sign the same message; the
// hub keeps it for the auditors (liaison/audit.h).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "liaison/change.h"
#include "liaison/status.h"

namespace liaison {

// SHA-256 of the change's canonical bytes (BUNDLE.md, "Change payload"), 32 bytes.
Result<std::string> ChangeDigest(const Change& change);
// The bytes an office signs for a batch of its changes first_seq..last_seq, given
// their digests in order (32 bytes each).
std::string BatchMessage(std::string_view origin, std::int64_t first_seq, std::int64_t last_seq,
                         std::string_view digests);

}  // namespace liaison
