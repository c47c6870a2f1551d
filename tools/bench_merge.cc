// bench_merge: what merging costs, against plain SQLite inserts of the same rows.
//
//   1. New rows: a replica imports the changes of N new activity rows made on another
//      replica (every change recorded in the relay log, merged, row metadata kept).
//   2. Conflict path: the same changes into a replica that already holds every row,
//      with older, different values (each row replaced, two columns journaled).
//   Baseline: one prepared INSERT per row into an identical table without capture,
//   in a plain SQLite file (the same work an import does per row, minus merging).
//
// Each measure runs --repeat times on fresh files, alternating which goes first; the
// table shows the median rate as a share of the baseline (higher is better) and the
// CPU-time share. Targets: new rows >= 50%, conflict path >= 25%.
//
// Usage: bench_merge [--rows N] [--repeat K]   (defaults: 100000 rows, 5 repeats)
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench_support.h"
#include "liaison/merger.h"

namespace liaison {
namespace {

using namespace bench;

void Insert(Db& db, const std::string& table, const std::vector<ActivityRow>& rows) {
  Check(db.Exec("BEGIN IMMEDIATE"), "begin");
  Stmt stmt = Must(db.Prepare("INSERT INTO " + table + kColumns + " VALUES(?,?,?,?,?,?,?,?)"),
                   "prepare insert");
  for (const auto& r : rows) {
    stmt.Reset();
    BindRow(stmt, r);
    Check(stmt.Run(), "insert");
  }
  Check(db.Exec("COMMIT"), "commit");
}

std::vector<Change> ReadAll(Replica& replica) {
  ChangeReader reader = Must(ChangeReader::Open(replica, {}), "open reader");
  std::vector<Change> out;
  for (;;) {
    std::optional<Change> c = Must(reader.Next(), "read");
    if (!c) break;
    out.push_back(std::move(*c));
  }
  return out;
}

ApplyStats Apply(Replica& replica, const std::vector<Change>& changes) {
  Merger merger = Must(Merger::Begin(replica), "begin merge");
  for (const auto& c : changes) Check(merger.Apply(c), "apply");
  ApplyStats stats = merger.stats();
  Check(merger.Commit(), "commit merge");
  return stats;
}

struct Measure {
  std::vector<double> share, cpu_share, rate;
};

int Run(int n, int repeat) {
  const std::vector<ActivityRow> rows = MakeRows(n);
  std::vector<ActivityRow> older = rows;  // same ids, other values
  for (auto& r : older) {
    r.title += " (draft)";
    r.summary = "Draft: " + r.summary;
  }
  ScratchDir source_dir;
  // The conflicting replica writes first, so that its values are older.
  Target stale = NewCaptured(source_dir, "stale.db");
  Insert(stale.handle(), "activities", older);
  Target source = NewCaptured(source_dir, "source.db");
  Insert(source.handle(), "activities", rows);
  const std::vector<Change> changes = ReadAll(*source.replica);

  Measure fresh, conflict;
  std::vector<double> baseline;
  std::int64_t journaled = 0;
  for (int i = 0; i < repeat; ++i) {
    ScratchDir dir;
    Target plain = NewPlain(dir);
    Target target = NewCaptured(dir, "target.db");
    std::string copy = dir.File("conflict.db");
    Check(stale.handle().Exec("VACUUM INTO '" + copy + "'"), "copy stale replica");
    Replica conflicted = Must(Replica::Open(copy), "open conflict copy");
    // Its own inserts were made earlier: their log is prepared before the import.
    Check(PrepareLocalLog(conflicted.db()), "prepare the conflicting replica's log");
    double p = 0, pc = 0, f = 0, fc = 0, c = 0, cc = 0;
    auto run_plain = [&] {
      p = Seconds([&] { Insert(plain.handle(), plain.table, rows); });
      pc = last_cpu_seconds;
    };
    auto run_merges = [&] {
      f = Seconds([&] { Apply(*target.replica, changes); });
      fc = last_cpu_seconds;
      c = Seconds([&] { journaled = Apply(conflicted, changes).conflicts; });
      cc = last_cpu_seconds;
    };
    if (i % 2 == 0) {
      run_plain();
      run_merges();
    } else {
      run_merges();
      run_plain();
    }
    baseline.push_back(n / p);
    fresh.share.push_back(p / f);
    fresh.cpu_share.push_back(pc / fc);
    fresh.rate.push_back(n / f);
    conflict.share.push_back(p / c);
    conflict.cpu_share.push_back(pc / cc);
    conflict.rate.push_back(n / c);
  }
  std::printf("Merge cost: %d activity rows, %d runs, fresh files each run\n\n", n, repeat);
  std::printf("%-38s %10s %9s %9s %9s %9s\n", "measure", "rows/s", "share", "min", "max",
              "CPU share");
  std::printf("%-38s %10.0f\n", "plain prepared INSERT (baseline)", Summarize(baseline).median);
  auto line = [](const char* name, const Measure& m) {
    Stats s = Summarize(m.share);
    std::printf("%-38s %10.0f %8.0f%% %8.0f%% %8.0f%% %8.0f%%\n", name, Summarize(m.rate).median,
                100 * s.median, 100 * s.min, 100 * s.max, 100 * Summarize(m.cpu_share).median);
  };
  line("1. import new rows (target >= 50%)", fresh);
  line("2. conflict path (target >= 25%)", conflict);
  std::printf("\nconflicts journaled on the conflict path: %lld (%.1f per row)\n",
              static_cast<long long>(journaled), static_cast<double>(journaled) / n);
  std::printf("peak RSS: %.0f MiB\n", PeakRssMiB());
  return 0;
}

}  // namespace
}  // namespace liaison

int main(int argc, char** argv) {
  int rows = 100000, repeat = 5;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--rows") == 0 && i + 1 < argc) {
      rows = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
      repeat = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: bench_merge [--rows N] [--repeat K]\n");
      return 2;
    }
  }
  if (rows <= 0 || repeat <= 0) {
    std::fprintf(stderr, "bench_merge: --rows and --repeat must be positive\n");
    return 2;
  }
  return liaison::Run(rows, repeat);
}
