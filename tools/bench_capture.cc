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

#include "liaison/changelog.h"
#include "liaison/replica.h"
#include "liaison/store.h"

namespace liaison {
namespace {

struct ActivityRow {
  std::string id, owner, kind, held_on, title, summary, group_id, office_id;
};

std::vector<ActivityRow> MakeRows(int n) {
  static const char* kKinds[] = {"research",         "observation",       "inspection",  "study",
                                 "congress_session", "presidium_meeting", "supervision", "other"};
  static const char* kTopics[] = {"market safety", "school repairs", "flood drainage",
                                  "land records",  "health station", "rural roads"};
  std::mt19937_64 rng(20260301);
  std::vector<ActivityRow> rows;
  rows.reserve(static_cast<size_t>(n));
  std::uint64_t millis = 1'772'000'000'000;  // early 2026
  char buf[128];
  for (int i = 0; i < n; ++i) {
    millis += 1 + rng() % 3;  // time-ordered ids, as NewRowId makes them
    std::snprintf(buf, sizeof buf, "%012llx%04llx%016llx", static_cast<unsigned long long>(millis),
                  static_cast<unsigned long long>(rng() & 0xFFFF),
                  static_cast<unsigned long long>(rng()));
    ActivityRow r;
    r.id.assign(buf, 32);
    const int office = static_cast<int>(rng() % 40);
    std::snprintf(buf, sizeof buf, "town-%02d", office);
    r.owner = r.office_id = buf;
    r.kind = kKinds[rng() % 8];
    std::snprintf(buf, sizeof buf, "2026-%02d-%02d", static_cast<int>(1 + rng() % 12),
                  static_cast<int>(1 + rng() % 28));
    r.held_on = buf;
    const char* topic = kTopics[rng() % 6];
    r.title = std::string("Quarterly ") + topic + " review";
    std::snprintf(buf, sizeof buf, "Deputies met %d voters about %s; %d issues forwarded.",
                  static_cast<int>(10 + rng() % 90), topic, static_cast<int>(rng() % 9));
    r.summary = buf;  // about 60 characters
    if (rng() % 3 != 0) {
      std::snprintf(buf, sizeof buf, "group-%02d-%d", office, static_cast<int>(rng() % 4));
      r.group_id = buf;
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

[[noreturn]] void Die(const std::string& what, const Status& s) {
  std::fprintf(stderr, "bench_capture: %s: %s\n", what.c_str(), s.message().c_str());
  std::exit(1);
}

void Check(const Status& s, const std::string& what) {
  if (!s.ok()) Die(what, s);
}

template <typename T>
T Must(Result<T> r, const std::string& what) {
  if (!r.ok()) Die(what, r.status());
  return std::move(r).value();
}

class ScratchDir {
 public:
  ScratchDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "liaison-bench-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) {
      std::perror("mkdtemp");
      std::exit(1);
    }
    path_ = templ;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
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

Target NewCaptured(const ScratchDir& dir) {
  Target t;
  t.replica.emplace(
      Must(Replica::Create(dir.File("captured.db"), OfficeId("city"), Role::kOffice), "create"));
  t.table = "activities";
  return t;
}

Target NewPlain(const ScratchDir& dir) {
  // The DDL of activities and its indexes, renamed, in a file with no trigger at all.
  std::vector<std::string> ddl;
  {
    ScratchDir source;
    Replica r =
        Must(Replica::Create(source.File("source.db"), OfficeId("city"), Role::kOffice), "create");
    ddl = Must(r.db().QueryTexts("SELECT sql FROM sqlite_schema WHERE tbl_name = 'activities' "
                                 "AND type IN ('table', 'index') AND sql IS NOT NULL "
                                 "ORDER BY type DESC"),
               "read activities DDL");
  }
  Target t;
  t.db = Must(Db::Open(dir.File("plain.db"), OpenOptions{.create = true}), "open plain");
  for (std::string sql : ddl) {
    for (size_t at; (at = sql.find("activities")) != std::string::npos;) {
      sql.replace(at, std::strlen("activities"), "bench_plain");
    }
    Check(t.db.Exec(sql), "create bench_plain");
  }
  t.table = "bench_plain";
  return t;
}

constexpr const char* kColumns = "(id, owner, kind, held_on, title, summary, group_id, office_id)";

void BindRow(Stmt& stmt, const ActivityRow& r) {
  stmt.Bind(1, std::string_view(r.id)).Bind(2, std::string_view(r.owner));
  stmt.Bind(3, std::string_view(r.kind)).Bind(4, std::string_view(r.held_on));
  stmt.Bind(5, std::string_view(r.title)).Bind(6, std::string_view(r.summary));
  if (r.group_id.empty()) {
    stmt.BindNull(7);
  } else {
    stmt.Bind(7, std::string_view(r.group_id));
  }
  stmt.Bind(8, std::string_view(r.office_id));
}

void Stage(Db& db, const std::vector<ActivityRow>& rows) {
  Check(db.Exec("CREATE TEMP TABLE staging (id TEXT, owner TEXT, kind TEXT, held_on TEXT, "
                "title TEXT, summary TEXT, group_id TEXT, office_id TEXT)"),
        "create staging");
  Check(db.Exec("BEGIN"), "begin");
  Stmt stmt = Must(db.Prepare(std::string("INSERT INTO temp.staging VALUES(?,?,?,?,?,?,?,?)")),
                   "prepare staging");
  for (const auto& r : rows) {
    stmt.Reset();
    BindRow(stmt, r);
    Check(stmt.Run(), "stage");
  }
  Check(db.Exec("COMMIT"), "commit staging");
}

double Seconds(const std::function<void()>& work) {
  const auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
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
  Db& db = t.handle();
  return Seconds([&] {
    Check(db.Exec("BEGIN IMMEDIATE"), "begin");
    Stmt stmt = Must(db.Prepare("INSERT INTO " + t.table + kColumns + " VALUES(?,?,?,?,?,?,?,?)"),
                     "prepare insert");
    for (const auto& r : rows) {
      stmt.Reset();
      BindRow(stmt, r);
      Check(stmt.Run(), "insert");
    }
    Check(db.Exec("COMMIT"), "commit");
  });
}

struct Stats {
  double median, min, max;
};

Stats Summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  const double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return {median, v.front(), v.back()};
}

int Run(int rows_wanted, int repeat) {
  const std::vector<ActivityRow> rows = MakeRows(rows_wanted);
  const double n = static_cast<double>(rows.size());
  const bool progress = ::isatty(STDERR_FILENO) != 0;
  std::vector<double> plain1, captured1, ratio1, plain2, captured2, ratio2, seal;

  for (int i = 0; i < repeat; ++i) {
    const bool plain_first = i % 2 == 0;
    if (progress) std::fprintf(stderr, "\rrun %d/%d", i + 1, repeat);
    {  // 1. INSERT ... SELECT
      ScratchDir dir;
      Target plain = NewPlain(dir), captured = NewCaptured(dir);
      Stage(plain.handle(), rows);
      Stage(captured.handle(), rows);
      double p = 0, c = 0;
      if (plain_first) {
        p = InsertSelect(plain);
        c = InsertSelect(captured);
      } else {
        c = InsertSelect(captured);
        p = InsertSelect(plain);
      }
      plain1.push_back(p);
      captured1.push_back(c);
      ratio1.push_back(c / p);
    }
    {  // 2. one prepared INSERT per row, then 3. seal
      ScratchDir dir;
      Target plain = NewPlain(dir), captured = NewCaptured(dir);
      double p = 0, c = 0;
      if (plain_first) {
        p = InsertEach(plain, rows);
        c = InsertEach(captured, rows);
      } else {
        c = InsertEach(captured, rows);
        p = InsertEach(plain, rows);
      }
      plain2.push_back(p);
      captured2.push_back(c);
      ratio2.push_back(c / p);
      seal.push_back(Seconds([&] { Check(SealChanges(captured.handle()), "seal"); }));
      const auto logged = Must(
          captured.handle().QueryInt("SELECT count(*) FROM _sync_changes WHERE vals IS NOT NULL"),
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
