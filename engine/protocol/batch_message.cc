// The signed batch message (liaison/batch_message.h).
#include "liaison/batch_message.h"

#include "base/coding.h"
#include "base/sha256.h"
#include "protocol/codec.h"

namespace liaison {
namespace {

constexpr std::string_view kBatchDomain = "liaison batch 1";

}  // namespace

Result<std::string> ChangeDigest(const Change& change) {
  LIAISON_ASSIGN_OR_RETURN(std::string bytes, protocol_internal::EncodeArchive(change));
  return Sha256(bytes);
}

std::string BatchMessage(std::string_view origin, std::int64_t first_seq, std::int64_t last_seq,
                         std::string_view digests) {
  std::string out(kBatchDomain);
  PutLe64(out, origin.size());
  out.append(origin);
  PutLe64(out, static_cast<std::uint64_t>(first_seq));
  PutLe64(out, static_cast<std::uint64_t>(last_seq));
  out += Sha256(digests);
  return out;
}

}  // namespace liaison
