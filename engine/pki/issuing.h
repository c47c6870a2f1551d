// Issuing an office certificate with a chosen validity window: what the tests of
// expired and not-yet-valid certificates need, and no user does (liaison/pki.h issues
// from five minutes ago). Internal to engine/pki and its tests.
//
// Thread-safety: as IssueOfficeCertificate (one process per CA directory).
#pragma once

#include <cstdint>
#include <string>

#include "liaison/pki.h"

namespace liaison::pki_internal {

struct ValidityWindow {
  int valid_days = 825;                  // 1 to 36500
  std::int64_t not_before_offset_s = 0;  // valid from now + this
};

// IssueOfficeCertificate with the certificate valid from now + not_before_offset_s,
// for valid_days days.
Result<IssuedCertificate> IssueOfficeCertificateIn(const std::string& dir,
                                                   const std::string& office_id,
                                                   const ValidityWindow& window);

}  // namespace liaison::pki_internal
