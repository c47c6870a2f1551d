// bench_audit: what verifying and replaying the hub's audit chain cost, against plain
// SQLite inserts of the same rows.
//
// Set-up (not timed as a measure): an office replica gets --rows N new activity rows
// (default 1,000,000) in one transaction; a bundle of them, signed with the office's
// key (a CA made for the run), is exported and imported at a new hub replica, which
// checks the signature, keeps it as a signed batch and chains every change it accepts
// (ExtendChain), so that the hub's master log and its audit chain hold N entries, each
// covered by the office's signature. The chain is then exported to a log file
// (ExportChain), as `liaison audit export` does.
//
// Measured on that chain, in one run:
//   baseline       one prepared INSERT per row, in one transaction, into a fresh plain
//                  SQLite file holding `bench_plain` (the DDL of activities and its
//                  indexes, no trigger) opened with the engine's pragmas (WAL,
//                  synchronous=NORMAL, temp_store=MEMORY): bench_merge's baseline.
//   verify (db)    VerifyChain(hub): every entry rebuilt from the log and hashed, and
//                  its digest checked against the office's signed batch.
//   verify (log)   a walk of the exported log with no visitor (`liaison audit verify
//                  LOG`): every record read, decoded and hashed, the trailer checked.
//   replay (db)    ReplayChain(hub, far future, out): the chain verified, every change
//                  merged into a new replica file.
//   replay (log)   ReplayChain over the exported log file.
// Each replay writes a fresh file, checked afterwards (untimed) to hold the N rows
// and, in the first run, the same data as the hub (Digest), then removed.
//
// Each measure runs --repeat times (default 3; 1 from 500,000 rows), alternating the
// order of the measures; the table shows median rows per second (min and max), the
// median rate as a share of the baseline measured in the same run, the CPU-time share,
// and the most resident memory a measure added while it ran (its peak, VmHWM, over the
// process's resident memory just before it, which holds the N rows of the baseline).
// Targets: replay >= 40% of the plain inserts' rate; verify faster than replay. A
// target missed is reported, not a failure; a wrong result (a chain that does not
// verify, a replay short of rows or with other data) exits 1.
//
// Usage: bench_audit [--rows N] [--repeat K]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "bench_support.h"
#include "liaison/audit.h"
#include "liaison/bundle.h"
#include "liaison/digest.h"
#include "liaison/hub.h"
#include "liaison/pki.h"

namespace liaison {
namespace {

using namespace bench;

constexpr std::int64_t kFarFuture = std::int64_t{1} << 62;  // replay everything

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "bench_audit: %s\n", what.c_str());
  std::exit(1);
}

// The process's peak resident memory: ResetPeak starts VmHWM (and getrusage's figure)
// over, so the peaks seen before each reset are kept here.
double process_peak_mib = 0;

// A line of /proc/self/status ("VmRSS", "VmHWM"), in MiB; -1 when unreadable.
double StatusMiB(const char* field) {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  char line[256];
  double kib = -1;
  const size_t len = std::strlen(field);
  while (f != nullptr && std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, field, len) == 0 && line[len] == ':') {
      kib = std::atof(line + len + 1);
      break;
    }
  }
  if (f != nullptr) std::fclose(f);
  return kib < 0 ? -1 : kib / 1024.0;
}

// Starts this process's peak resident memory (VmHWM) over from what it holds now.
bool ResetPeak() {
  process_peak_mib = std::max(process_peak_mib, StatusMiB("VmHWM"));
  std::FILE* f = std::fopen("/proc/self/clear_refs", "w");
  if (f == nullptr) return false;
  const bool ok = std::fputs("5", f) >= 0;
  return std::fclose(f) == 0 && ok;
}

struct Timed {
  double secs = 0, cpu = 0, added_mib = -1;
};

// Times `work`, and the resident memory it added at its peak (when measurable).
Timed Time(const std::function<void()>& work) {
  Timed t;
  const bool reset = ResetPeak();
  const double before = StatusMiB("VmRSS");
  t.secs = Seconds(work);
  t.cpu = last_cpu_seconds;
  const double peak = StatusMiB("VmHWM");
  process_peak_mib = std::max(process_peak_mib, peak);
  if (reset && before >= 0 && peak >= 0) t.added_mib = std::max(0.0, peak - before);
  return t;
}

void CheckReport(const Result<ChainReport>& r, int n, const char* what) {
  if (!r.ok()) Die(what, r.status());
  if (!r->ok()) {
    Fail(std::string(what) + ": chain broken at entry " + std::to_string(r->bad_entry) + ": " +
         r->problem);
  }
  if (r->entries != n) {
    Fail(std::string(what) + ": " + std::to_string(r->entries) + " entries, expected " +
         std::to_string(n));
  }
  if (r->signed_changes != n) {
    Fail(std::string(what) + ": " + std::to_string(r->signed_changes) +
         " changes carry the office's signature, expected " + std::to_string(n));
  }
}

// The replayed file must hold the N rows and, when `digest` is given, the same data
// as the hub (Digest over every replicated table); then it goes.
void CheckReplay(const Result<ReplayStats>& r, const std::string& out, int n,
                 const std::string* digest, const char* what) {
  if (!r.ok()) Die(what, r.status());
  if (r->applied != n || r->entries != n) {
    Fail(std::string(what) + ": applied " + std::to_string(r->applied) + " of " +
         std::to_string(r->entries) + " entries, expected " + std::to_string(n));
  }
  {
    Replica copy = Must(Replica::Open(out), std::string(what) + ": open the replayed file");
    const std::int64_t held =
        Must(copy.db().QueryInt("SELECT count(*) FROM activities"), "count replayed rows");
    if (held != n) {
      Fail(std::string(what) + ": the replayed file holds " + std::to_string(held) +
           " activities, expected " + std::to_string(n));
    }
    if (digest != nullptr && Must(Digest(copy.db()), "digest of the replayed file") != *digest) {
      Fail(std::string(what) + ": the replayed file's data differs from the hub's");
    }
  }
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((out + suffix).c_str());
}

struct Measure {
  const char* name;
  std::vector<double> rate, share, cpu_share, added_mib;
  void Add(int n, const Timed& t, const Timed& plain) {
    rate.push_back(n / t.secs);
    share.push_back(plain.secs / t.secs);
    cpu_share.push_back(plain.cpu / t.cpu);
    added_mib.push_back(t.added_mib);
  }
};

int Run(int n, int repeat) {
  const auto started = std::chrono::steady_clock::now();
  ScratchDir dir;
  const std::string hub_path = dir.File("hub.db"), log_path = dir.File("chain.log");
  const std::vector<ActivityRow> rows = MakeRows(n);
  // The rows written at an office and brought to the hub in a bundle (the import
  // chains them), the chain exported to a log.
  double office_s = 0, hub_s = 0, log_s = 0;
  {
    const std::string bundle = dir.File("rows.bundle"), office_path = dir.File("office.db");
    const std::string pki = dir.File("pki");
    if (Status s = InitCa(pki); !s.ok()) Die("init-ca", s);
    const IssuedCertificate cert = Must(IssueOfficeCertificate(pki, "town-a"), "issue");
    const Signer signer = Must(Signer::FromFiles(cert.cert_path, cert.key_path), "signer");
    office_s = Seconds([&] {
      Target office;
      office.replica.emplace(
          Must(Replica::Create(office_path, OfficeId("town-a"), Role::kOffice), "create office"));
      office.table = "activities";
      std::vector<ActivityRow> own = rows;  // the office's own rows: it may write only those
      for (ActivityRow& r : own) r.owner = r.office_id = "town-a";
      InsertRows(office.handle(), "activities", own);
      Must(ExportBundle(*office.replica, bundle, ExportOptions{{}, &signer}), "export bundle");
    });
    for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((office_path + suffix).c_str());
    hub_s = Seconds([&] {
      {
        Replica created = Must(Replica::Create(hub_path, OfficeId("city"), Role::kHub), "create hub");
        Check(created.db().Exec("INSERT INTO offices(id, owner, name, kind) "
                                "VALUES('town-a', 'city', 'Town A', 'town')"),
              "add the office");
      }
      Hub door = Must(Hub::Open(hub_path), "open hub");
      Replica& hub = door.replica();
      const PkiPaths paths = PkiPaths::In(pki);
      const ApplyStats applied =
          Must(door.ImportBundle(bundle, ImportOptions{paths.ca_cert, paths.crl}),
               "import bundle at the hub");
      if (applied.applied != n) {
        Fail("the hub took " + std::to_string(applied.applied) + " changes");
      }
      // The import chained them already, as at every import into the master copy.
      if (Must(ExtendChain(hub), "extend chain") != 0) Fail("the import left changes unchained");
    });
    ::unlink(bundle.c_str());
    log_s = Seconds([&] {
      Replica hub = Must(Replica::Open(hub_path), "open hub");
      Must(ExportChain(hub, log_path, ""), "export chain");
    });
  }

  Replica hub = Must(Replica::Open(hub_path), "open hub");
  const std::string hub_digest = Must(Digest(hub.db()), "digest of the hub");
  const AuditLogFile log = Must(AuditLogFile::Open(log_path), "open exported log");
  const ChainSource log_source = log.source();

  process_peak_mib = std::max(process_peak_mib, PeakRssMiB());
  std::vector<double> baseline, vr_db, vr_log;
  Measure verify_db{"verify (db)", {}, {}, {}, {}}, verify_log{"verify (log)", {}, {}, {}, {}};
  Measure replay_db{"replay (db)", {}, {}, {}, {}}, replay_log{"replay (log)", {}, {}, {}, {}};
  for (int i = 0; i < repeat; ++i) {
    std::fprintf(stderr, "\rrun %d/%d", i + 1, repeat);
    ScratchDir run_dir;
    Timed plain, vd, vl, rd, rl;
    auto run_plain = [&] {
      Target target = NewPlain(run_dir);
      plain = Time([&] { InsertRows(target.handle(), target.table, rows); });
    };
    auto run_verify = [&] {
      Result<ChainReport> r = ChainReport{};
      vd = Time([&] { r = VerifyChain(hub); });
      CheckReport(r, n, "verify (db)");
      vl = Time([&] { r = log_source.walk(nullptr); });
      CheckReport(r, n, "verify (log)");
    };
    auto run_replay = [&] {
      Result<ReplayStats> r = ReplayStats{};
      const std::string from_db = run_dir.File("replay-db.db");
      const std::string from_log = run_dir.File("replay-log.db");
      rd = Time([&] { r = ReplayChain(hub, kFarFuture, from_db); });
      CheckReplay(r, from_db, n, i == 0 ? &hub_digest : nullptr, "replay (db)");
      rl = Time([&] { r = ReplayChain(log_source, kFarFuture, from_log); });
      CheckReplay(r, from_log, n, i == 0 ? &hub_digest : nullptr, "replay (log)");
    };
    // Alternate the order, so that neither side always runs on a warm or cold cache.
    if (i % 2 == 0) {
      run_plain();
      run_verify();
      run_replay();
    } else {
      run_replay();
      run_verify();
      run_plain();
    }
    baseline.push_back(n / plain.secs);
    verify_db.Add(n, vd, plain);
    verify_log.Add(n, vl, plain);
    replay_db.Add(n, rd, plain);
    replay_log.Add(n, rl, plain);
    vr_db.push_back(rd.secs / vd.secs);
    vr_log.push_back(rl.secs / vl.secs);
  }
  std::fprintf(stderr, "\r%*s\r", 20, "");

  std::printf("Audit chain cost: %d entries (new activity rows from one office), %d run%s, "
              "same chain each run\n",
              n, repeat, repeat == 1 ? "" : "s");
  std::printf("set-up, not measured: office rows and signed bundle %.1f s, hub import and chain "
              "%.1f s, log export %.1f s (%.0f bytes per entry)\n\n",
              office_s, hub_s, log_s,
              static_cast<double>(std::filesystem::file_size(log_path)) / n);
  std::printf("%-34s %10s %10s %10s %9s %9s %9s %8s\n", "measure", "rows/s", "min", "max",
              "vs plain", "min", "CPU", "+MiB");
  const Stats b = Summarize(baseline);
  std::printf("%-34s %10.0f %10.0f %10.0f\n", "plain prepared INSERT (baseline)", b.median, b.min,
              b.max);
  auto line = [](const Measure& m) {
    const Stats r = Summarize(m.rate), s = Summarize(m.share);
    const double mib = *std::max_element(m.added_mib.begin(), m.added_mib.end());
    std::printf("%-34s %10.0f %10.0f %10.0f %8.0f%% %8.0f%% %8.0f%% %8.0f\n", m.name, r.median,
                r.min, r.max, 100 * s.median, 100 * s.min, 100 * Summarize(m.cpu_share).median,
                mib);
  };
  for (const Measure* m : {&verify_db, &verify_log, &replay_db, &replay_log}) line(*m);
  std::printf("(vs plain: the rate as a share of the baseline's in the same run; CPU: the "
              "same in CPU time; +MiB: resident memory the measure added at its peak, most "
              "of any run)\n");

  const Stats sd = Summarize(vr_db), sl = Summarize(vr_log);
  std::printf("\nverify vs replay (replay time / verify time): db %.2fx (min %.2fx), log %.2fx "
              "(min %.2fx)\n",
              sd.median, sd.min, sl.median, sl.min);
  const Stats rd = Summarize(replay_db.share), rl = Summarize(replay_log.share);
  const bool replay_ok = rd.median >= 0.40 && rl.median >= 0.40;
  const bool verify_ok = sd.median > 1.0 && sl.median > 1.0;
  std::printf("replay >= 40%% of plain insert:  %s (db %.0f%%, log %.0f%%, medians)\n",
              replay_ok ? "yes" : "NO", 100 * rd.median, 100 * rl.median);
  std::printf("verify faster than replay:      %s (db %.2fx, log %.2fx, medians)\n",
              verify_ok ? "yes" : "NO", sd.median, sl.median);
  std::printf("\npeak RSS of the whole process %.0f MiB (the N rows and the set-up included); "
              "bench time %.0f s\n",
              std::max(process_peak_mib, PeakRssMiB()),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return 0;
}

}  // namespace
}  // namespace liaison

int main(int argc, char** argv) {
  int rows = 1'000'000, repeat = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--rows") == 0 && i + 1 < argc) {
      rows = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
      repeat = std::atoi(argv[++i]);
      if (repeat <= 0) repeat = -1;
    } else {
      std::fprintf(stderr, "usage: bench_audit [--rows N] [--repeat K]\n");
      return 2;
    }
  }
  if (repeat == 0) repeat = rows >= 500'000 ? 1 : 3;
  if (rows <= 0 || repeat <= 0) {
    std::fprintf(stderr, "bench_audit: --rows and --repeat must be positive\n");
    return 2;
  }
  return liaison::Run(rows, repeat);
}
