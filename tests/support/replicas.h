// Helpers for tests that run several replicas in one process: create them in a
// temporary directory, exchange changes between them directly (as a bundle or the
// hub protocol would), and compare their data.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "liaison/merger.h"
#include "liaison/replica.h"
#include "support/temp_dir.h"

namespace liaison::testing {

// Fails the current test with the status message when not ok.
#define ASSERT_OK(expr)                                  \
  do {                                                   \
    ::liaison::Status s_ = (expr);                       \
    ASSERT_TRUE(s_.ok()) << #expr << ": " << s_.message(); \
  } while (0)

// Returns the value of a Result, aborting the test binary on error (for helpers).
template <typename T>
T Must(Result<T> r, const char* what = "") {
  if (!r.ok()) {
    ADD_FAILURE() << what << ": " << r.status().message();
    std::abort();
  }
  return std::move(r).value();
}
inline void Must(const Status& s, const char* what = "") {
  if (!s.ok()) {
    ADD_FAILURE() << what << ": " << s.message();
    std::abort();
  }
}

// Runs `sql` on the replica; aborts as Must does on error.
inline void Exec(Replica& r, const std::string& sql) { Must(r.db().Exec(sql), sql.c_str()); }
// The one integer `sql` returns.
inline std::int64_t Count(Replica& r, const std::string& sql) {
  return Must(r.db().QueryInt(sql));
}
// The highest seq of the replica's own change log; 0 when it is empty.
inline std::int64_t LastSeq(Replica& r) {
  return Count(r, "SELECT coalesce(max(seq), 0) FROM _sync_changes");
}

// Adds `offices` to the hub's `offices` table, as the city office does before they
// sync: a hub admits only its offices.
void RegisterOffices(Replica& hub, const std::vector<std::string>& offices);
inline void RegisterOffices(Replica&& hub, const std::vector<std::string>& offices) {
  RegisterOffices(hub, offices);
}

class ReplicaSet {
 public:
  // `count` office replicas named office-0, office-1, ...
  explicit ReplicaSet(int count);

  Replica& operator[](size_t i) { return *replicas_[i]; }
  size_t size() const { return replicas_.size(); }
  const std::string& path(size_t i) const { return paths_[i]; }

  // All changes `from` knows that `to` does not (by version vector), applied to `to`.
  ApplyStats Sync(size_t from, size_t to);
  // Every pair, twice round: afterwards everyone knows every change.
  void SyncAll();
  std::string DigestOf(size_t i);

 private:
  TempDir dir_;
  std::vector<std::string> paths_;
  std::vector<std::unique_ptr<Replica>> replicas_;
};

// Reads every change `from` knows beyond `since`.
std::vector<Change> ReadChanges(Replica& from, const VersionVector& since = {});
// Applies `changes` to `to` in one transaction.
ApplyStats ApplyChanges(Replica& to, const std::vector<Change>& changes);

}  // namespace liaison::testing
