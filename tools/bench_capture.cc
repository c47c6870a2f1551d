// bench_capture: what change capture costs an application that writes a replica.
//
// Each measure inserts the same activity rows into two fresh files opened with the
// engine's pragmas (WAL, synchronous=NORMAL, temp_store=MEMORY): a replica, where the
// capture triggers log every row, and a plain SQLite file holding `bench_plain`, a
// copy of the activities table and its indexes with no trigger. Times include COMMIT.
//
//   1. INSERT ... SELECT from an in-memory staging table: SQLite's own work only.
//   2. One prepared INSERT per row, as an application writes.
//   3. SealChanges on the replica after measure 2: the deferred half of capture.
//
// The machine may be shared and noisy: each measure runs --repeat times, alternating
// which file goes first, each time on fresh files; the table shows the median ratio
// with its min and max, and median rows per second.
//
// Usage: bench_capture [--rows N] [--repeat K]   (defaults: 100000 rows, 7 repeats)
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "bench_support.h"
#include "liaison/changelog.h"
#include "liaison/replica.h"
#include "liaison/store.h"

namespace liaison {
namespace {

using namespace bench;


void Stage(Db& db, const std::vector<ActivityRow>& rows) {
  Check(db.Exec("CREATE TEMP TABLE staging (id TEXT, owner TEXT, kind TEXT, held_on TEXT, "
                "title TEXT, summary TEXT, group_id TEXT, office_id TEXT)"),
        "create staging");
  InsertRows(db, "temp.staging", rows);
}

double InsertSelect(Target& t) {
  Db& db = t.handle();
  return Seconds([&] {
    Check(db.Exec("BEGIN IMMEDIATE"), "begin");
    Check(db.Exec("INSERT INTO main." + t.table + kColumns + " SELECT * FROM temp.staging"),
          "insert select");
    Check(db.Exec("COMMIT"), "commit");
  });
}

double InsertEach(Target& t, const std::vector<ActivityRow>& rows) {
  return Seconds([&] { InsertRows(t.handle(), t.table, rows); });
}

int Run(int rows_wanted, int repeat) {
  const std::vector<ActivityRow> rows = MakeRows(rows_wanted);
  const double n = static_cast<double>(rows.size());
  const bool progress = ::isatty(STDERR_FILENO) != 0;
  std::vector<double> plain1, captured1, ratio1, plain2, captured2, ratio2, seal;
  std::vector<double> cpu_ratio1, cpu_ratio2;

  for (int i = 0; i < repeat; ++i) {
    const bool plain_first = i % 2 == 0;
    if (progress) std::fprintf(stderr, "\rrun %d/%d", i + 1, repeat);
    {  // 1. INSERT ... SELECT
      ScratchDir dir;
      Target plain = NewPlain(dir), captured = NewCaptured(dir);
      Stage(plain.handle(), rows);
      Stage(captured.handle(), rows);
      double p = 0, c = 0, pc = 0, cc = 0;
      if (plain_first) {
        p = InsertSelect(plain);
        pc = last_cpu_seconds;
        c = InsertSelect(captured);
        cc = last_cpu_seconds;
      } else {
        c = InsertSelect(captured);
        cc = last_cpu_seconds;
        p = InsertSelect(plain);
        pc = last_cpu_seconds;
      }
      cpu_ratio1.push_back(cc / pc);
      plain1.push_back(p);
      captured1.push_back(c);
      ratio1.push_back(c / p);
    }
    {  // 2. one prepared INSERT per row, then 3. seal
      ScratchDir dir;
      Target plain = NewPlain(dir), captured = NewCaptured(dir);
      double p = 0, c = 0, pc = 0, cc = 0;
      if (plain_first) {
        p = InsertEach(plain, rows);
        pc = last_cpu_seconds;
        c = InsertEach(captured, rows);
        cc = last_cpu_seconds;
      } else {
        c = InsertEach(captured, rows);
        cc = last_cpu_seconds;
        p = InsertEach(plain, rows);
        pc = last_cpu_seconds;
      }
      cpu_ratio2.push_back(cc / pc);
      plain2.push_back(p);
      captured2.push_back(c);
      ratio2.push_back(c / p);
      seal.push_back(Seconds([&] { Check(SealChanges(captured.handle()), "seal"); }));
      const auto logged = Must(
          captured.handle().QueryInt("SELECT count(*) FROM _sync_sealed"),
          "count sealed");
      if (logged != static_cast<std::int64_t>(rows.size())) {
        std::fprintf(stderr, "bench_capture: sealed %lld of %zu inserts\n",
                     static_cast<long long>(logged), rows.size());
        return 1;
      }
    }
  }
  if (progress) std::fprintf(stderr, "\r%*s\r", 20, "");

  auto rate = [&](const std::vector<double>& secs) { return n / Summarize(secs).median; };
  std::printf("Capture cost: %zu activity rows per run, %d runs, fresh files each run\n",
              rows.size(), repeat);
  std::printf("(WAL, synchronous=NORMAL, temp_store=MEMORY; times include COMMIT)\n\n");
  std::printf("%-34s %12s %12s %9s %9s %9s\n", "measure", "plain rows/s", "capt. rows/s", "ratio",
              "min", "max");
  auto line = [&](const char* name, const std::vector<double>& p, const std::vector<double>& c,
                  const std::vector<double>& r) {
    const Stats s = Summarize(r);
    std::printf("%-34s %12.0f %12.0f %8.2fx %8.2fx %8.2fx\n", name, rate(p), rate(c), s.median,
                s.min, s.max);
  };
  line("1. INSERT ... SELECT (target 1.5x)", plain1, captured1, ratio1);
  line("2. prepared INSERT per row", plain2, captured2, ratio2);
  auto cpu_line = [&](const char* name, const std::vector<double>& r) {
    const Stats s = Summarize(r);
    std::printf("%-34s %12s %12s %8.2fx %8.2fx %8.2fx\n", name, "", "", s.median, s.min, s.max);
  };
  cpu_line("1. same, CPU-time ratio", cpu_ratio1);
  cpu_line("2. same, CPU-time ratio", cpu_ratio2);
  const Stats s = Summarize(seal);
  std::printf("%-34s %12s %12.0f %9s   (median %.3f s, min %.3f s, max %.3f s)\n",
              "3. SealChanges of the inserts", "", n / s.median, "", s.median, s.min, s.max);
  std::printf("\nCapture plus sealing, per row, vs plain prepared insert: %.2fx\n",
              (Summarize(captured2).median + s.median) / Summarize(plain2).median);
  return 0;
}

}  // namespace
}  // namespace liaison

int main(int argc, char** argv) {
  int rows = 100'000, repeat = 7;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto number = [&](int& out) {
      if (i + 1 >= argc || (out = std::atoi(argv[i + 1])) <= 0) {
        std::fprintf(stderr, "bench_capture: %s needs a positive number\n", arg.c_str());
        std::exit(2);
      }
      ++i;
    };
    if (arg == "--rows") {
      number(rows);
    } else if (arg == "--repeat") {
      number(repeat);
    } else if (arg == "--help" || arg == "-h") {
      std::printf(
          "Usage: bench_capture [--rows N] [--repeat K]\n"
          "Measures the cost of change capture; defaults: --rows 100000 --repeat 7\n");
      return 0;
    } else {
      std::fprintf(stderr, "bench_capture: unknown argument %s (try --help)\n", arg.c_str());
      return 2;
    }
  }
  return liaison::Run(rows, repeat);
}
