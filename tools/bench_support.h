// Shared pieces of the benchmarks in tools/: realistic activity rows, scratch
// directories, a plain SQLite table identical to `activities` but without capture,
// timing (wall and CPU) and summaries. Benchmarks are programs, not tests: they
// print ratios measured side by side in one run.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "liaison/replica.h"
#include "liaison/store.h"

namespace liaison::bench {

struct ActivityRow {
  std::string id, owner, kind, held_on, title, summary, group_id, office_id;
};

// `n` realistic activity rows with time-ordered ids; the same `seed` gives the same rows.
std::vector<ActivityRow> MakeRows(int n, unsigned seed = 20260301);

[[noreturn]] void Die(const std::string& what, const Status& s);
void Check(const Status& s, const std::string& what);
template <typename T>
T Must(Result<T> r, const std::string& what) {
  if (!r.ok()) Die(what, r.status());
  return std::move(r).value();
}

class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string File(const char* name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The target of one measure: a table in a fresh file, captured or not.
struct Target {
  Db db;
  std::string table;
  std::optional<Replica> replica;  // set when captured (owns db instead)
  Db& handle() { return replica ? replica->db() : db; }
};

Target NewCaptured(const ScratchDir& dir, const char* name = "captured.db");
// `bench_plain`: the DDL of activities and its indexes in a file with no trigger.
Target NewPlain(const ScratchDir& dir);

// "(id, owner, kind, held_on, title, summary, group_id, office_id)"
extern const char* const kColumns;
void BindRow(Stmt& stmt, const ActivityRow& r);

// Inserts `rows` into `table` (schema `main` or `temp`) with one prepared INSERT per
// row, in one transaction.
void InsertRows(Db& db, const std::string& table, const std::vector<ActivityRow>& rows);

// Wall-clock seconds of `work`; its CPU seconds (user + system) go to
// last_cpu_seconds. SQLite works on the calling thread, so on a shared machine CPU
// time is the steadier figure.
extern double last_cpu_seconds;
double Seconds(const std::function<void()>& work);

struct Stats {
  double median, min, max;
};
Stats Summarize(std::vector<double> v);

// Peak resident set size of this process so far, in MiB.
double PeakRssMiB();

}  // namespace liaison::bench
