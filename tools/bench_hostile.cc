// bench_hostile: the hub daemon (`liaison hub serve`, a child process on 127.0.0.1)
// against hostile peers.
//
//   1. Memory: the hub's resident memory (VmRSS from /proc/PID/status) at baseline,
//      with --probes P (default 100) authenticated connections that each announce the
//      largest frame (8 MiB) and send nothing more, and after they close. Targets:
//      at most +50 MiB with the probes open, and back within 10 MiB of the baseline
//      after they close.
//   2. Flood: one office's sync (RunSync, --rows R new activities each time, default
//      200) alone, and while --flood F (default 700: 500 idle, 200 trickling a
//      ClientHello a byte a second) unauthenticated connections from 127.0.0.2-9 are
//      reopened 10 ms after the hub closes them. Runs alternate, each with a flood of
//      its own that ends with the sync; reported: median, min and max of each, and the
//      ratio of the medians (target: at most 2). A sync that fails is counted (the
//      office retries twice after 200 ms) and left out of the times.
//
// Every run uses fresh files in $TMPDIR or /tmp. --liaison PATH runs another build's
// `liaison` as the hub (a baseline: it gets only --db, --listen and --pki).
//
// Usage: bench_hostile [--repeat K] [--probes P] [--flood F] [--rows R] [--liaison PATH]
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.h"
#include "hub_process.h"
#include "liaison/net.h"
#include "liaison/pki.h"
#include "liaison/wire.h"
#include "support/net_peers.h"

#ifndef LIAISON_BIN
#error "LIAISON_BIN (the path of the liaison program) must be defined"
#endif


namespace liaison {
namespace {

using namespace bench;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "bench_hostile: %s\n", what.c_str());
  std::exit(1);
}

struct Setting {
  ScratchDir dir;
  std::string pki = dir.File("pki");
  std::string hub_db = dir.File("hub.db");
  std::string office_db = dir.File("town-a.db");
  int next_row = 0;

  Setting() {
    Check(InitCa(pki), "create the CA");
    {
      Replica hub = Must(Replica::Create(hub_db, OfficeId("city"), Role::kHub), "create the hub");
      // The hub admits only the offices of its master copy.
      Check(hub.db().Exec("INSERT INTO offices(id, owner, name, kind) "
                          "VALUES('town-a', 'city', 'Town A', 'town')"),
            "add town-a to the master copy");
    }
    Must(IssueOfficeCertificate(pki, "town-a"), "issue a certificate");
    Must(Replica::Create(office_db, OfficeId("town-a"), Role::kOffice), "create the office");
  }

  void AddRows(int n) {
    std::vector<ActivityRow> rows = MakeRows(n, static_cast<unsigned>(next_row += n));
    for (ActivityRow& r : rows) r.owner = r.office_id = "town-a";
    Replica replica = Must(Replica::Open(office_db), "open the office");
    InsertRows(replica.db(), "activities", rows);
  }

  SyncClientOptions Sync(const std::string& hub) const {
    SyncClientOptions options;
    options.db_path = office_db;
    options.hub = hub;
    const PkiPaths paths = PkiPaths::In(pki);
    options.tls =
        TlsFiles{paths.OfficeCert("town-a"), paths.OfficeKey("town-a"), paths.ca_cert, ""};
    options.timeout = std::chrono::seconds(10);
    options.retries = 2;
    options.backoff = milliseconds(200);
    return options;
  }
};

void Memory(const std::string& liaison, int probes) {
  Setting s;
  HubProcess hub(liaison, s.hub_db, s.pki, s.dir.File("hub.log"));
  s.AddRows(100);
  Must(RunSync(s.Sync(hub.address())), "a first sync");
  std::this_thread::sleep_for(milliseconds(500));
  const double baseline = hub.ResidentMiB();
  const PkiPaths paths = PkiPaths::In(s.pki);
  const std::uint32_t n = wire::kDefaultMaxFrameBytes;
  const std::string header = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                              static_cast<char>(n >> 8), static_cast<char>(n)};
  double open_rss = 0;
  int connected = 0;
  {
    std::vector<std::unique_ptr<testing::TlsProbe>> open;
    for (int i = 0; i < probes; ++i) {
      open.push_back(std::make_unique<testing::TlsProbe>(
          hub.port(), paths.ca_cert, paths.OfficeCert("town-a"), paths.OfficeKey("town-a")));
      connected += open.back()->Write(header);
    }
    std::this_thread::sleep_for(milliseconds(1000));
    open_rss = hub.ResidentMiB();
  }
  std::this_thread::sleep_for(milliseconds(1000));
  const double after = hub.ResidentMiB();
  std::printf("memory: %d connections announcing %u-byte frames (%d sent the header)\n", probes, n,
              connected);
  std::printf(
      "  hub RSS: baseline %.1f MiB, with them open %.1f MiB (%+.1f, target <= +50), "
      "after they closed %.1f MiB (%+.1f, target within 10)\n",
      baseline, open_rss, open_rss - baseline, after, after - baseline);
}

void Flood(const std::string& liaison, int repeat, int flood, int rows) {
  std::vector<double> alone, flooded;
  int failed_alone = 0, failed_flooded = 0;
  std::int64_t refused = 0;
  std::vector<double> log_lines;
  std::string last_summary = "refusals count=0";
  for (int run = 0; run < repeat; ++run) {
    for (bool under_flood : {false, true}) {
      Setting s;
      auto hub = std::make_unique<HubProcess>(liaison, s.hub_db, s.pki, s.dir.File("hub.log"));
      s.AddRows(rows);
      std::unique_ptr<testing::ConnectionFlood> attack;
      if (under_flood) {
        const int idle = flood * 5 / 7;
        attack = std::make_unique<testing::ConnectionFlood>(
            hub->port(), testing::ConnectionFlood::Options{.idle = idle,
                                                           .trickle = flood - idle,
                                                           .sources = 8,
                                                           .trickle_every = milliseconds(1000),
                                                           .reopen_after = milliseconds(10),
                                                           .limit = std::chrono::seconds(60)});
        std::this_thread::sleep_for(milliseconds(2000));  // let it fill the hub's handshakes
      }
      Result<SyncSummary> summary = Status::Internal("not run");
      const double t = Seconds([&] { summary = RunSync(s.Sync(hub->address())); });
      if (attack) refused += attack->closed_by_hub();
      attack.reset();
      hub->Stop();  // SIGTERM: its log then holds the last interval's summary
      hub.reset();
      const bool ok = summary.ok() && summary->complete && summary->pushed == rows;
      if (!ok) {
        std::fprintf(stderr, "  run %d%s: %s\n", run + 1, under_flood ? " (flood)" : "",
                     summary.ok() ? "incomplete" : summary.status().message().c_str());
      }
      (under_flood ? failed_flooded : failed_alone) += !ok;
      if (ok) (under_flood ? flooded : alone).push_back(t);
      if (under_flood) {
        std::ifstream log(s.dir.File("hub.log"));
        int lines = 0;
        for (std::string line; std::getline(log, line); ++lines) {
          // The summary line that counted the most refusals.
          if (line.rfind("refusals count=", 0) == 0 &&
              std::atoll(line.c_str() + 15) > std::atoll(last_summary.c_str() + 15)) {
            last_summary = line;
          }
        }
        log_lines.push_back(lines);
      }
    }
  }
  auto print = [](const char* what, const std::vector<double>& v, int failed) {
    if (v.empty()) {
      std::printf("  %s: every sync failed (%d)\n", what, failed);
      return;
    }
    const Stats st = Summarize(v);
    std::printf("  %s: median %.3f s (min %.3f, max %.3f) over %zu syncs, %d failed\n", what,
                st.median, st.min, st.max, v.size(), failed);
  };
  std::printf(
      "flood: one office's sync of %d rows, %d runs each, alone and under %d "
      "unauthenticated connections (%lld closed by the hub)\n",
      rows, repeat, flood, static_cast<long long>(refused));
  print("alone", alone, failed_alone);
  print("flooded", flooded, failed_flooded);
  if (!log_lines.empty()) {
    std::printf(
        "  hub log lines per flooded run: median %.0f (max %.0f); the largest summary: %s\n",
        Summarize(log_lines).median, Summarize(log_lines).max, last_summary.c_str());
  }
  if (!alone.empty() && !flooded.empty()) {
    std::printf("  ratio of medians: %.2fx (target <= 2)\n",
                Summarize(flooded).median / Summarize(alone).median);
  }
}

}  // namespace
}  // namespace liaison

int main(int argc, char** argv) {
  int repeat = 5, probes = 100, flood = 700, rows = 200;
  std::string liaison = LIAISON_BIN;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--repeat")
      repeat = std::atoi(argv[i + 1]);
    else if (flag == "--probes")
      probes = std::atoi(argv[i + 1]);
    else if (flag == "--flood")
      flood = std::atoi(argv[i + 1]);
    else if (flag == "--rows")
      rows = std::atoi(argv[i + 1]);
    else if (flag == "--liaison")
      liaison = argv[i + 1];
    else
      liaison::Fail("unknown option " + flag);
  }
  // The flood and the hub each hold a descriptor per connection.
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  std::signal(SIGPIPE, SIG_IGN);
  liaison::Memory(liaison, probes);
  liaison::Flood(liaison, repeat, flood, rows);
  return 0;
}
