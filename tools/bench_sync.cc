// bench_sync: what a sync with the hub costs, end to end over mutual TLS on 127.0.0.1.
//
//   1. Push: one office pushes --rows N new activity rows (default 100,000) to the
//      hub, served by ServeHub on a thread of this process. Timed: the office's
//      RunSync call, all of it (TLS handshake, sealing the office's change log, push,
//      pull, digest comparison). Baseline: the same rows inserted into a plain SQLite
//      table with one prepared INSERT per row, in the same run. Reported: both rates,
//      the sync's rate as a share of the baseline (target >= 40%), its min and max,
//      the CPU-time share, and where the sync's time went (from its progress
//      reports). Both ends of the connection run in this process, so the sync's CPU
//      time is the office's plus the hub's: wall time is the primary figure here.
//      Bytes on the wire (TLS records, both ways) come from one more sync of the same
//      rows, untimed, through a relay that counts them.
//   2. Many offices: --offices M (default 200) offices with --changes C (default 100)
//      new activity rows each all start a sync at the same moment, each on a thread of
//      its own, with a hub run as `liaison hub serve` in a child process (its
//      --max-connections above M, so that none should be refused; busy refusals and
//      retries are counted anyway). It is each office's first sync, so each pull
//      reads the hub's log from its start. Reported: the syncs that completed, p50,
//      p99 and max of one sync's wall time, the wall time until the last one ended,
//      the hub's peak resident memory (VmHWM, read just before SIGTERM) and the CPU
//      time of the hub and of the offices.
//
// Every run uses fresh files, in $TMPDIR or /tmp. Set-up (the CA and certificates, the
// replicas and their rows, starting the hub) is not timed. After each run the hub must
// hold every row sent (N, or M * C activities) and every sync must have completed:
// otherwise the program says what went wrong and exits 1. A rate below its target is
// reported, not a failure.
//
// Usage: bench_sync [--rows N] [--repeat K] [--offices M] [--changes C] [--only push|many]
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <latch>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "bench_support.h"
#include "hub_process.h"
#include "liaison/net.h"
#include "liaison/pki.h"

#ifndef LIAISON_BIN
#error "LIAISON_BIN (the path of the liaison program) must be defined"
#endif


namespace liaison {
namespace {

using namespace bench;
using Clock = std::chrono::steady_clock;

constexpr const char* kHubOffice = "city";
constexpr auto kStartLimit = std::chrono::seconds(10);

// CPU seconds of the calling thread.
double ThreadCpuNow() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "bench_sync: %s\n", what.c_str());
  std::exit(1);
}

Result<SyncSummary> NotRun() { return Status::Internal("the sync did not run"); }

// --- The setting: a CA, a hub replica and office replicas in a scratch directory ---

struct Setting {
  ScratchDir dir;
  std::string pki = dir.File("pki");
  std::string hub_db = dir.File("hub.db");

  Setting() {
    Check(InitCa(pki), "create the CA");
    Must(Replica::Create(hub_db, OfficeId(kHubOffice), Role::kHub), "create the hub replica");
  }

  // Issues the office's certificate and creates its replica holding `rows`, made the
  // office's own (owner and office_id) and inserted with SQL (so captured). Returns the
  // office's sync options, but for the hub's address.
  // The office is added to the master copy's offices first, as the city office does:
  // the hub admits only its offices. REQUIRES: the hub is not running.
  SyncClientOptions AddOffice(const std::string& office, std::vector<ActivityRow> rows) {
    Must(IssueOfficeCertificate(pki, office), "issue a certificate for " + office);
    {
      Replica hub = Must(Replica::Open(hub_db), "open the hub replica");
      Check(hub.db().Exec("INSERT INTO offices(id, owner, name, kind) VALUES('" + office +
                          "', '" + kHubOffice + "', '" + office + "', 'town')"),
            "add " + office + " to the master copy");
    }
    SyncClientOptions options;
    options.db_path = dir.File((office + ".db").c_str());
    Replica replica = Must(Replica::Create(options.db_path, OfficeId(office), Role::kOffice),
                           "create " + options.db_path);
    for (ActivityRow& r : rows) r.owner = r.office_id = office;
    InsertRows(replica.db(), "activities", rows);
    const PkiPaths paths = PkiPaths::In(pki);
    options.tls = TlsFiles{paths.OfficeCert(office), paths.OfficeKey(office), paths.ca_cert, ""};
    return options;
  }
};

// Why a sync's round falls short (empty when it completed, verified, and the hub took
// the `pushed` new changes it was sent).
std::string RoundProblem(const Result<SyncSummary>& r, std::int64_t pushed) {
  if (!r.ok()) return r.status().message();
  if (r->complete && r->verified && r->pushed == pushed && r->quarantined == 0) return "";
  return "complete=" + std::to_string(r->complete) + " verified=" + std::to_string(r->verified) +
         " pushed=" + std::to_string(r->pushed) + " (expected " + std::to_string(pushed) +
         ") quarantined=" + std::to_string(r->quarantined) + " refusal=\"" + r->refusal + "\"";
}

void CheckRound(const Result<SyncSummary>& r, const std::string& office, std::int64_t pushed) {
  if (std::string why = RoundProblem(r, pushed); !why.empty()) {
    Fail("sync of " + office + " fell short: " + why);
  }
}

void CheckHubHolds(const Setting& s, std::int64_t expected) {
  Db db = Must(Db::Open(s.hub_db, OpenOptions{.read_only = true}), "open " + s.hub_db);
  const std::int64_t held =
      Must(db.QueryInt("SELECT count(*) FROM activities"), "count the hub's activities");
  if (held != expected) {
    Fail("the hub holds " + std::to_string(held) + " activities, expected " +
         std::to_string(expected));
  }
}

// --- The hub in this process: ServeHub on a thread ---

class HubThread {
 public:
  explicit HubThread(const Setting& s) {
    const PkiPaths paths = PkiPaths::In(s.pki);
    HubServerOptions options;
    options.db_path = s.hub_db;
    options.listen = "127.0.0.1:0";
    options.tls = TlsFiles{paths.hub_cert, paths.hub_key, paths.ca_cert, paths.crl};
    options.stop = &stop_;
    options.on_listening = [this](std::uint16_t port) { port_ = port; };
    thread_ = std::thread([this, options] {
      status_ = ServeHub(options);
      cpu_seconds_ = ThreadCpuNow();
      ended_ = true;
    });
    for (const auto deadline = Clock::now() + kStartLimit; port_ == 0 && !ended_;) {
      if (Clock::now() > deadline) Fail("the hub did not start listening within 10 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (port_ == 0) Fail("the hub did not start: " + status_.message());
  }
  ~HubThread() { Stop(); }
  HubThread(const HubThread&) = delete;
  HubThread& operator=(const HubThread&) = delete;

  std::uint16_t port() const { return port_; }
  // CPU seconds of the thread ServeHub ran on (the one that writes the master copy),
  // once stopped.
  double cpu_seconds() const { return cpu_seconds_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // Stops the hub and waits for ServeHub to return; fails on its error.
  void Stop() {
    if (!thread_.joinable()) return;
    stop_ = true;
    thread_.join();
    if (!status_.ok()) Fail("the hub stopped with an error: " + status_.message());
  }

 private:
  std::atomic<bool> stop_{false}, ended_{false};
  std::atomic<std::uint16_t> port_{0};
  Status status_;  // ServeHub's, once ended_
  double cpu_seconds_ = 0;
  std::thread thread_;
};

// --- Bytes on the wire: a relay for one connection that counts what it carries ---

class CountingRelay {
 public:
  explicit CountingRelay(std::uint16_t hub_port) {
    sockaddr_in at = Loopback(0);
    socklen_t len = sizeof at;
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&at), len) != 0 ||
        ::listen(listener, 1) != 0 ||
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&at), &len) != 0) {
      Fail(std::string("relay: cannot listen: ") + std::strerror(errno));
    }
    port_ = ntohs(at.sin_port);
    thread_ = std::thread([this, listener, hub_port] {
      const int office = ::accept(listener, nullptr, nullptr);
      const int hub = ::socket(AF_INET, SOCK_STREAM, 0);
      const sockaddr_in to = Loopback(hub_port);
      if (office < 0 || hub < 0 ||
          ::connect(hub, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) {
        Fail(std::string("relay: cannot connect to the hub: ") + std::strerror(errno));
      }
      std::thread down([&] { bytes_down_ = Copy(hub, office); });
      bytes_up_ = Copy(office, hub);
      down.join();
      for (int fd : {listener, office, hub}) ::close(fd);
    });
  }
  ~CountingRelay() {
    if (thread_.joinable()) thread_.join();
  }
  CountingRelay(const CountingRelay&) = delete;
  CountingRelay& operator=(const CountingRelay&) = delete;

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // Waits for the connection to end; the bytes carried {office to hub, hub to office}.
  std::pair<std::uint64_t, std::uint64_t> Finish() {
    thread_.join();
    return {bytes_up_, bytes_down_};
  }

 private:
  static sockaddr_in Loopback(std::uint16_t port) {
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    at.sin_port = htons(port);
    return at;
  }

  // Copies `from` to `to` until the end of `from` (or an error), then passes the end
  // on; the bytes copied.
  static std::uint64_t Copy(int from, int to) {
    std::uint64_t total = 0;
    std::vector<char> buf(1 << 16);
    for (ssize_t got; (got = ::read(from, buf.data(), buf.size())) > 0;) {
      total += static_cast<std::uint64_t>(got);
      for (ssize_t sent = 0, n; sent < got; sent += n) {
        n = ::send(to, buf.data() + sent, static_cast<size_t>(got - sent), MSG_NOSIGNAL);
        if (n <= 0) {  // the receiver is gone: end both directions
          ::shutdown(to, SHUT_RDWR);
          return total;
        }
      }
    }
    ::shutdown(to, SHUT_WR);
    return total;
  }

  std::uint16_t port_ = 0;
  std::uint64_t bytes_up_ = 0, bytes_down_ = 0;
  std::thread thread_;
};

// --- 1. Push ---

// Where one sync's wall time went, from its progress reports: connecting (TCP, TLS,
// Hello and Welcome, reading the first batch), push, pull, then comparing digests
// and closing. marks[0] is the start; a phase never reported took no time.
struct PhaseMarks {
  Clock::time_point marks[4];  // start, push, pull, verify
  void Note(const SyncProgress& p) {
    const int i = std::strcmp(p.phase, "push") == 0 ? 1 : std::strcmp(p.phase, "pull") == 0 ? 2 : 3;
    if (marks[i] == Clock::time_point{}) marks[i] = Clock::now();
  }
  void AddTo(std::vector<double> (&seconds)[4]) {
    const Clock::time_point end = Clock::now();
    for (int i = 3; i >= 1; --i) {
      if (marks[i] == Clock::time_point{}) marks[i] = i == 3 ? end : marks[i + 1];
    }
    for (int i = 0; i < 4; ++i) {
      seconds[i].push_back(
          std::chrono::duration<double>((i == 3 ? end : marks[i + 1]) - marks[i]).count());
    }
  }
};

struct PushResult {
  std::vector<double> baseline_rate, rate, share, cpu_share, wall, cpu, office_cpu, hub_cpu;
  std::vector<double> phases[4];  // seconds: connect, push, pull, verify
  std::uint64_t bytes_up = 0, bytes_down = 0;
};

PushResult Push(int n, int repeat) {
  const std::vector<ActivityRow> rows = MakeRows(n);
  const std::string office = "town-01";
  PushResult out;
  for (int i = 0; i < repeat; ++i) {
    Setting s;
    SyncClientOptions options = s.AddOffice(office, rows);
    Target plain = NewPlain(s.dir);
    HubThread hub(s);
    options.hub = hub.address();
    PhaseMarks phases;
    options.on_progress = [&phases](const SyncProgress& p) { phases.Note(p); };
    double p = 0, pc = 0, t = 0, tc = 0;
    auto run_plain = [&] {
      p = Seconds([&] { InsertRows(plain.handle(), plain.table, rows); });
      pc = last_cpu_seconds;
    };
    auto run_sync = [&] {
      Result<SyncSummary> r = NotRun();
      const double office_start = ThreadCpuNow();
      t = Seconds([&] {
        phases.marks[0] = Clock::now();
        r = RunSync(options);
        phases.AddTo(out.phases);
      });
      tc = last_cpu_seconds;
      out.office_cpu.push_back(ThreadCpuNow() - office_start);
      CheckRound(r, office, n);
    };
    if (i % 2 == 0) {
      run_plain();
      run_sync();
    } else {
      run_sync();
      run_plain();
    }
    hub.Stop();
    out.hub_cpu.push_back(hub.cpu_seconds());
    CheckHubHolds(s, n);
    out.baseline_rate.push_back(n / p);
    out.rate.push_back(n / t);
    out.share.push_back(p / t);
    out.cpu_share.push_back(pc / tc);
    out.wall.push_back(t);
    out.cpu.push_back(tc);
  }
  {  // bytes on the wire: one more sync, through the counting relay
    Setting s;
    SyncClientOptions options = s.AddOffice(office, rows);
    HubThread hub(s);
    CountingRelay relay(hub.port());
    options.hub = relay.address();
    CheckRound(RunSync(options), office, n);
    std::tie(out.bytes_up, out.bytes_down) = relay.Finish();
    hub.Stop();
    CheckHubHolds(s, n);
  }
  return out;
}

// --- 2. Many offices: the hub as a child process ---


struct ManyResult {
  std::vector<double> sync_seconds;  // sorted
  double total_seconds = 0;
  int retries = 0;
  std::vector<std::string> retry_reasons;  // the first few
  int refusals = 0;                        // "refused" lines in the hub's log
  double hub_peak_mib = 0, hub_cpu_seconds = 0, offices_cpu_seconds = 0;
};

// Nearest-rank percentile of sorted `v`.
double Percentile(const std::vector<double>& v, double p) {
  const size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

struct OfficeRun {
  std::string office;
  SyncClientOptions options;
  Result<SyncSummary> result = NotRun();
  double seconds = 0;
};

ManyResult Many(int offices, int changes) {
  Setting s;
  const std::vector<ActivityRow> rows = MakeRows(offices * changes, 11);
  std::vector<OfficeRun> runs(static_cast<size_t>(offices));
  for (int i = 0; i < offices; ++i) {
    OfficeRun& run = runs[static_cast<size_t>(i)];
    const auto first = rows.begin() + static_cast<std::ptrdiff_t>(i) * changes;
    run.office = "town-" + std::to_string(1000 + i).substr(1);  // town-000 ... town-999
    run.options = s.AddOffice(run.office, std::vector<ActivityRow>(first, first + changes));
  }
  HubProcess hub(LIAISON_BIN, s.hub_db, s.pki, s.dir.File("hub.log"),
                 {"--max-connections=" + std::to_string(std::max(256, offices + 16))});

  ManyResult out;
  std::mutex retry_mu;
  std::latch go(1);
  std::vector<std::thread> threads;
  for (OfficeRun& run : runs) {
    run.options.hub = hub.address();
    run.options.retries = 5;  // a busy hub (over its connection limit) answers "try later"
    run.options.backoff = std::chrono::milliseconds(200);
    run.options.on_retry = [&](int, const Status& why, std::chrono::milliseconds) {
      std::lock_guard<std::mutex> lock(retry_mu);
      if (out.retry_reasons.size() < 3) out.retry_reasons.push_back(why.message());
      ++out.retries;
    };
    threads.emplace_back([&go, &run] {
      go.wait();
      const auto start = Clock::now();
      run.result = RunSync(run.options);
      run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    });
  }
  out.total_seconds = Seconds([&] {
    go.count_down();
    for (std::thread& t : threads) t.join();
  });
  out.offices_cpu_seconds = last_cpu_seconds;
  out.hub_peak_mib = hub.PeakMiB();
  out.hub_cpu_seconds = hub.Stop();
  out.refusals = hub.CountLogLines("refused peer=");

  int failed = 0;
  std::string first_problem;
  for (const OfficeRun& run : runs) {
    out.sync_seconds.push_back(run.seconds);
    std::string why = RoundProblem(run.result, changes);
    if (!why.empty() && failed++ == 0) first_problem = run.office + ": " + why;
  }
  if (failed > 0) {
    Fail(std::to_string(failed) + " of " + std::to_string(offices) +
         " syncs fell short; the first: " + first_problem);
  }
  CheckHubHolds(s, static_cast<std::int64_t>(offices) * changes);
  std::sort(out.sync_seconds.begin(), out.sync_seconds.end());
  return out;
}

// --- The report ---

void PrintPush(int n, int repeat, const PushResult& r) {
  std::printf(
      "1. Push: one office, %d new activity rows, to a hub on a thread of this process; "
      "%d runs, fresh files each run\n\n",
      n, repeat);
  std::printf("%-38s %10s %9s %9s %9s %9s\n", "measure", "rows/s", "share", "min", "max",
              "CPU share");
  std::printf("%-38s %10.0f\n", "plain prepared INSERT (baseline)",
              Summarize(r.baseline_rate).median);
  const Stats share = Summarize(r.share);
  std::printf("%-38s %10.0f %8.0f%% %8.0f%% %8.0f%% %8.0f%%\n", "sync over TLS (target >= 40%)",
              Summarize(r.rate).median, 100 * share.median, 100 * share.min, 100 * share.max,
              100 * Summarize(r.cpu_share).median);
  std::printf(
      "\nsync: wall %.2f s (median), CPU %.2f s (office and hub together: one process), of "
      "which the office's thread %.2f s and the hub's serving thread %.2f s\n",
      Summarize(r.wall).median, Summarize(r.cpu).median, Summarize(r.office_cpu).median,
      Summarize(r.hub_cpu).median);
  std::printf(
      "  connecting and the first batch %.2f s, push %.2f s, pull %.2f s, digest "
      "comparison and closing %.2f s (medians)\n",
      Summarize(r.phases[0]).median, Summarize(r.phases[1]).median, Summarize(r.phases[2]).median,
      Summarize(r.phases[3]).median);
  std::printf(
      "bytes on the wire (TLS records; one more sync, through a counting relay): "
      "office to hub %llu (%.0f per row), hub to office %llu\n",
      static_cast<unsigned long long>(r.bytes_up), static_cast<double>(r.bytes_up) / n,
      static_cast<unsigned long long>(r.bytes_down));
}

void PrintMany(int offices, int changes, const ManyResult& r) {
  const std::vector<double>& v = r.sync_seconds;
  std::printf(
      "\n2. Many offices: %d offices with %d new activity rows each, all syncing at once "
      "with `liaison hub serve` in its own process\n\n",
      offices, changes);
  std::printf("syncs completed         %d of %d (retries %d, refusals in the hub's log %d)\n",
              offices, offices, r.retries, r.refusals);
  for (const std::string& why : r.retry_reasons) std::printf("  retried after: %s\n", why.c_str());
  std::printf("one sync's wall time    p50 %.2f s, p99 %.2f s, max %.2f s\n", Percentile(v, 50),
              Percentile(v, 99), v.back());
  std::printf("all of them             %.2f s (%.0f rows/s into the hub)\n", r.total_seconds,
              offices * changes / r.total_seconds);
  std::printf("hub process             peak memory (VmHWM) %.1f MiB, CPU %.2f s\n", r.hub_peak_mib,
              r.hub_cpu_seconds);
  std::printf("offices (this process)  CPU %.2f s\n", r.offices_cpu_seconds);
}

int Run(int rows, int repeat, int offices, int changes, const std::string& only) {
  std::string summary = "\nSummary\n";
  char line[256];
  if (only != "many") {
    const PushResult push = Push(rows, repeat);
    PrintPush(rows, repeat, push);
    const double share = Summarize(push.share).median;
    std::snprintf(line, sizeof line,
                  "  push: %d rows synced at %.0f%% of the plain-insert rate, wall time "
                  "(target >= 40%%): %s\n",
                  rows, 100 * share, share >= 0.40 ? "PASS" : "BELOW");
    summary += line;
  }
  if (only != "push") {
    const ManyResult many = Many(offices, changes);
    PrintMany(offices, changes, many);
    std::snprintf(line, sizeof line,
                  "  many: %d offices at once, every sync completed; p99 %.2f s, all done in "
                  "%.2f s; hub peak memory %.1f MiB\n",
                  offices, Percentile(many.sync_seconds, 99), many.total_seconds,
                  many.hub_peak_mib);
    summary += line;
  }
  std::fputs(summary.c_str(), stdout);
  return 0;
}

}  // namespace
}  // namespace liaison

int main(int argc, char** argv) {
  int rows = 100000, repeat = 3, offices = 200, changes = 100;
  std::string only;
  const std::pair<const char*, int*> numbers[] = {
      {"--rows", &rows}, {"--repeat", &repeat}, {"--offices", &offices}, {"--changes", &changes}};
  for (int i = 1; i < argc; ++i) {
    const auto number = std::find_if(std::begin(numbers), std::end(numbers), [&](const auto& n) {
      return std::strcmp(argv[i], n.first) == 0;
    });
    if (i + 1 < argc && number != std::end(numbers)) {
      *number->second = std::atoi(argv[++i]);
    } else if (i + 1 < argc && std::strcmp(argv[i], "--only") == 0) {
      only = argv[++i];
    } else {
      only = "?";
      break;
    }
  }
  if (rows <= 0 || repeat <= 0 || offices <= 0 || offices > 999 || changes <= 0 ||
      (!only.empty() && only != "push" && only != "many")) {
    std::fputs(
        "usage: bench_sync [--rows N] [--repeat K] [--offices M] [--changes C] "
        "[--only push|many]\n  N, K and C positive, M from 1 to 999\n",
        stderr);
    return 2;
  }
  return liaison::Run(rows, repeat, offices, changes, only);
}
