// bench_merge: what importing a bundle costs, against plain SQLite inserts of the
// same rows.
//
//   1. New rows: a replica imports a bundle of N new activity rows made on another
//      replica (verified, every change recorded in the relay log, merged, row
//      metadata kept, one transaction).
//   2. Conflict path: the same bundle into a replica that already holds every row,
//      with older, different values (each row replaced, two columns journaled).
//   Baseline: one prepared INSERT per row into an identical table without capture,
//   in a plain SQLite file.
//   3. Size: bundle bytes per row next to SQLite's session changeset of the same rows.
//   4. Memory: a bundle of --big rows (default 1,000,000; 0 skips) imported in a
//      process of its own, whose peak resident memory (VmHWM) is reported (target
//      under 200 MiB).
//
// Each of 1 and 2 runs --repeat times on fresh files, alternating which goes first;
// the table shows the median rate as a share of the baseline (higher is better) and
// the CPU-time share. Targets: new rows >= 50%, conflict path >= 25%.
//
// Usage: bench_merge [--rows N] [--repeat K] [--big N]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#define SQLITE_ENABLE_SESSION 1
#define SQLITE_ENABLE_PREUPDATE_HOOK 1
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_support.h"
#include "liaison/bundle.h"
#include "liaison/merger.h"

namespace liaison {
namespace {

using namespace bench;

// The size of SQLite's session changeset for inserting `rows` into a plain table.
size_t SessionChangesetBytes(const std::vector<ActivityRow>& rows) {
  ScratchDir dir;
  Target plain = NewPlain(dir);
  sqlite3_session* session = nullptr;
  if (sqlite3session_create(plain.db.raw(), "main", &session) != SQLITE_OK ||
      sqlite3session_attach(session, "bench_plain") != SQLITE_OK) {
    std::fprintf(stderr, "bench_merge: this SQLite has no session extension\n");
    std::exit(1);
  }
  InsertRows(plain.db, plain.table, rows);
  int size = 0;
  void* changeset = nullptr;
  if (sqlite3session_changeset(session, &size, &changeset) != SQLITE_OK) {
    std::fprintf(stderr, "bench_merge: sqlite3session_changeset failed\n");
    std::exit(1);
  }
  sqlite3_free(changeset);
  sqlite3session_delete(session);
  return static_cast<size_t>(size);
}

size_t PayloadBytes(const std::vector<ActivityRow>& rows) {
  size_t n = 0;
  for (const auto& r : rows) {
    n += r.id.size() + r.owner.size() + r.kind.size() + r.held_on.size() + r.title.size() +
         r.summary.size() + r.group_id.size() + r.office_id.size();
  }
  return n;
}

ApplyStats Import(Replica& replica, const std::string& bundle) {
  return Must(ImportBundle(replica, bundle), "import bundle");
}

// This process's own peak resident memory (VmHWM), in MiB. Unlike getrusage, it
// does not count what a parent held before fork and exec.
double HighWaterMiB() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  char line[256];
  double kib = -1;
  while (f != nullptr && std::fgets(line, sizeof line, f) != nullptr) {
    if (std::sscanf(line, "VmHWM: %lf kB", &kib) == 1) break;
  }
  if (f != nullptr) std::fclose(f);
  return kib / 1024.0;
}

// The child's side: import `bundle` into a new replica, print the peak memory.
int ImportChild(const std::string& bundle, const std::string& target) {
  Replica replica = Must(Replica::Create(target, OfficeId("city"), Role::kHub), "create");
  ApplyStats stats = Import(replica, bundle);
  std::printf("%.1f\n", HighWaterMiB());
  return stats.applied > 0 ? 0 : 3;
}

// Runs this program again, in a fresh process, to import `bundle`; returns the
// importing process's peak resident memory in MiB.
double ImportInChild(const std::string& bundle, const std::string& target) {
  int out[2];
  if (::pipe(out) != 0) std::exit(1);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    std::string self = "/proc/self/exe", mode = "--import-child", b = bundle, t = target;
    char* argv[] = {self.data(), mode.data(), b.data(), t.data(), nullptr};
    ::execv(self.c_str(), argv);
    ::_exit(127);
  }
  ::close(out[1]);
  char buf[64] = {0};
  ssize_t got = ::read(out[0], buf, sizeof buf - 1);
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (got <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "bench_merge: the importing process failed\n");
    std::exit(1);
  }
  return std::atof(buf);
}

void BigImport(int big) {
  ScratchDir dir;
  const std::string bundle = dir.File("big.bundle");
  {
    Target source = NewCaptured(dir, "big-source.db");
    const std::vector<ActivityRow> rows = MakeRows(big, 7);
    InsertRows(source.handle(), "activities", rows);
    Must(ExportBundle(*source.replica, bundle, {}), "export big bundle");
  }
  double secs = 0, rss = 0;
  secs = Seconds([&] { rss = ImportInChild(bundle, dir.File("big-target.db")); });
  std::printf("\n4. a bundle of %d rows imported in %.1f s (%.0f rows/s); peak RSS of the "
              "importing process: %.0f MiB (target < 200 MiB)\n",
              big, secs, big / secs, rss);
}

struct Measure {
  std::vector<double> share, cpu_share, rate;
};

int Run(int n, int repeat, int big) {
  const std::vector<ActivityRow> rows = MakeRows(n);
  std::vector<ActivityRow> older = rows;  // same ids, other values
  for (auto& r : older) {
    r.title += " (draft)";
    r.summary = "Draft: " + r.summary;
  }
  ScratchDir source_dir;
  // The conflicting replica writes first, so that its values are older.
  Target stale = NewCaptured(source_dir, "stale.db");
  InsertRows(stale.handle(), "activities", older);
  Target source = NewCaptured(source_dir, "source.db");
  InsertRows(source.handle(), "activities", rows);
  const std::string bundle = source_dir.File("rows.bundle");
  const ExportStats exported = Must(ExportBundle(*source.replica, bundle, {}), "export bundle");

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
      p = Seconds([&] { InsertRows(plain.handle(), plain.table, rows); });
      pc = last_cpu_seconds;
    };
    auto run_merges = [&] {
      f = Seconds([&] { Import(*target.replica, bundle); });
      fc = last_cpu_seconds;
      c = Seconds([&] { journaled = Import(conflicted, bundle).conflicts; });
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
  std::printf("Bundle import cost: %d activity rows, %d runs, fresh files each run\n\n", n,
              repeat);
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
  const size_t session = SessionChangesetBytes(rows);
  std::printf("\n3. bytes per changed row: bundle %.0f, SQLite session changeset %.0f "
              "(payload %.0f)\n",
              static_cast<double>(exported.bytes) / n, static_cast<double>(session) / n,
              static_cast<double>(PayloadBytes(rows)) / n);
  if (big > 0) BigImport(big);
  return 0;
}

}  // namespace
}  // namespace liaison

int main(int argc, char** argv) {
  if (argc == 4 && std::strcmp(argv[1], "--import-child") == 0) {
    return liaison::ImportChild(argv[2], argv[3]);
  }
  int rows = 100000, repeat = 5, big = 1000000;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--rows") == 0 && i + 1 < argc) {
      rows = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
      repeat = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--big") == 0 && i + 1 < argc) {
      big = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: bench_merge [--rows N] [--repeat K] [--big N]\n");
      return 2;
    }
  }
  if (rows <= 0 || repeat <= 0 || big < 0) {
    std::fprintf(stderr, "bench_merge: --rows and --repeat must be positive\n");
    return 2;
  }
  return liaison::Run(rows, repeat, big);
}
