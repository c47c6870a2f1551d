#include "bench_support.h"

#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>

namespace liaison::bench {

std::vector<ActivityRow> MakeRows(int n, unsigned seed) {
  static const char* kKinds[] = {"research",         "observation",       "inspection",  "study",
                                 "congress_session", "presidium_meeting", "supervision", "other"};
  static const char* kTopics[] = {"market safety", "school repairs", "flood drainage",
                                  "land records",  "health station", "rural roads"};
  std::mt19937_64 rng(seed);
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
  std::fprintf(stderr, "bench: %s: %s\n", what.c_str(), s.message().c_str());
  std::exit(1);
}

void Check(const Status& s, const std::string& what) {
  if (!s.ok()) Die(what, s);
}


ScratchDir::ScratchDir() {
  std::string templ = (std::filesystem::temp_directory_path() / "liaison-bench-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr) {
    std::perror("mkdtemp");
    std::exit(1);
  }
  path_ = templ;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}


Target NewCaptured(const ScratchDir& dir, const char* name) {
  Target t;
  t.replica.emplace(
      Must(Replica::Create(dir.File(name), OfficeId("city"), Role::kOffice), "create"));
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

const char* const kColumns = "(id, owner, kind, held_on, title, summary, group_id, office_id)";

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

double last_cpu_seconds = 0;

double CpuNow() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double Seconds(const std::function<void()>& work) {
  const double cpu = CpuNow();
  const auto start = std::chrono::steady_clock::now();
  work();
  last_cpu_seconds = CpuNow() - cpu;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}


Stats Summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  const double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return {median, v.front(), v.back()};
}


void InsertRows(Db& db, const std::string& table, const std::vector<ActivityRow>& rows) {
  Check(db.Exec("BEGIN IMMEDIATE"), "begin");
  Stmt stmt = Must(db.Prepare("INSERT INTO " + table + kColumns + " VALUES(?,?,?,?,?,?,?,?)"),
                   "prepare insert into " + table);
  for (const auto& r : rows) {
    stmt.Reset();
    BindRow(stmt, r);
    Check(stmt.Run(), "insert into " + table);
  }
  Check(db.Exec("COMMIT"), "commit");
}

double PeakRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

}  // namespace liaison::bench
