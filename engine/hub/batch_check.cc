// BatchCheck (batch_check.h).
#include "hub/batch_check.h"

#include <system_error>

namespace liaison::hub_internal {

BatchCheck::BatchCheck(std::optional<SignedBatch> to_check, audit_internal::ExpectedEntries entries)
    : to_check_(std::move(to_check)), entries_(std::move(entries)) {
  if (entries_.changes->size() < kOwnThreadFrom) return;
  try {
    running_ = std::async(std::launch::async, [this] { return Run(); });
  } catch (const std::system_error&) {
    // No thread to be had: the work is done in Wait, on the caller's.
  }
}

BatchCheck::~BatchCheck() {
  if (running_.valid()) running_.wait();
}

Result<bool> BatchCheck::Wait() {
  if (!verdict_) verdict_.emplace(running_.valid() ? running_.get() : Run());
  return *verdict_;
}

Result<bool> BatchCheck::Run() {
  // Entries that cannot be worked out (a change the merge will refuse) are left to
  // ExtendChain.
  if (!audit_internal::DigestExpectedEntries(entries_).ok()) entries_.digests.clear();
  if (!to_check_) return true;
  to_check_->digests.reserve(entries_.changes->size() * 32);
  for (const Change& c : *entries_.changes) {
    LIAISON_ASSIGN_OR_RETURN(std::string digest, ChangeDigest(c));
    to_check_->digests += digest;
  }
  return BatchSignatureValid(*to_check_);
}

}  // namespace liaison::hub_internal
