// BatchCheck: the work on a pushed batch that needs no database, done off the hub's
// writing thread while the batch is merged: the check of the office's signature (the
// digest of every change, then the signature over them) and the digests of the audit
// entries its changes are expected to become (audit_internal::ExpectedEntries, audit.h).
//
// From kOwnThreadFrom changes on it runs on a thread of its own, started by the
// constructor; Wait() joins it. Smaller batches do the work in Wait(), on the caller's
// thread. The caller waits before anything is chained or committed, and rolls the
// merge back if the signature does not verify.
//
// Thread-safety: one owner; the batch's changes must outlive the BatchCheck.
#pragma once

#include <cstddef>
#include <future>
#include <optional>

#include "audit/chain_writer.h"
#include "liaison/audit.h"

namespace liaison::hub_internal {

class BatchCheck {
 public:
  static constexpr std::size_t kOwnThreadFrom = 256;  // changes

  // `to_check`: the signed batch whose digests are to be filled in and checked
  // (nullopt: an unsigned batch); `entries`: the audit entries to work out.
  BatchCheck(std::optional<SignedBatch> to_check, audit_internal::ExpectedEntries entries);
  BatchCheck(const BatchCheck&) = delete;
  BatchCheck& operator=(const BatchCheck&) = delete;
  ~BatchCheck();

  // Whether the signature verified (true for an unsigned batch).
  Result<bool> Wait();
  // After Wait: the signed batch, its digests filled in; the expected entries (empty
  // when they could not be expected).
  const std::optional<SignedBatch>& signed_batch() const { return to_check_; }
  const audit_internal::ExpectedEntries& entries() const { return entries_; }

 private:
  Result<bool> Run();

  std::optional<SignedBatch> to_check_;
  audit_internal::ExpectedEntries entries_;
  std::future<Result<bool>> running_;
  std::optional<Result<bool>> verdict_;
};

}  // namespace liaison::hub_internal
