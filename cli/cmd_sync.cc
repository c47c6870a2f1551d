// liaison sync --db F --hub HOST:PORT --cert C --key K --ca CA [--crl CRL] [--retry N]
//              [--backoff-ms N] [--timeout-ms N] [--max-batch N]
//
// One sync round of an office replica with the hub (engine/include/liaison/net.h):
// push its changes, pull what the hub has for it, compare digests. Prints
//   pushed N, pulled N, conflicts N, quarantined N, verified yes|no at hub sequence N,
//   checkpoint N witnessed
// (the checkpoint part when the hub signed a checkpoint of its audit chain that extends
// the one this office kept before: AUDIT.md, "Witnesses"; then ", cleaned N" when the
// office cleaned tombstones and log entries by the hub's retention horizon: HUB.md,
// "Retention"), then one line per change the hub kept in quarantine (with the reason).
// An office behind the hub's retention horizon is refused (`reseed`) and must run
// `--reseed`, whose push the hub then takes. Exits 0 when
// the round completed and the digests matched, 3 when it completed but this office's
// scope differs from the master copy (repaired by --reseed: push, move the file aside,
// fill a new replica from the master copy), 1 when it did not complete. Progress goes to stderr when stderr is
// a terminal; a failed attempt that will be retried is reported there too.
#include <unistd.h>

#include <iostream>

#include "command.h"
#include "liaison/net.h"

namespace liaison::cli {
namespace {

struct SyncInputs {
  SyncClientOptions client;
  std::int64_t backoff_ms = 1000;
  std::int64_t timeout_ms = 60'000;
  bool reseed = false;
};

// Exit code of a round that completed but found the office's scope different from
// the master copy's.
constexpr int kExitScopeDiffers = 3;

// "\rpush 3000/20000" on a terminal line, rewritten as the round goes.
void ShowProgress(const SyncProgress& p) {
  std::cerr << "\r" << p.phase << " " << p.done;
  if (p.total > 0) std::cerr << "/" << p.total;
  std::cerr << "          " << std::flush;
}

std::string SummaryLine(const SyncSummary& s) {
  return "pushed " + std::to_string(s.pushed) + ", pulled " + std::to_string(s.pulled) +
         ", conflicts " + std::to_string(s.conflicts) + ", quarantined " +
         std::to_string(s.quarantined) + ", verified " + (s.verified ? "yes" : "no") +
         " at hub sequence " + std::to_string(s.hub_sequence) +
         (s.witnessed >= 0 ? ", checkpoint " + std::to_string(s.witnessed) + " witnessed" : "") +
         (s.cleaned > 0 ? ", cleaned " + std::to_string(s.cleaned) : "");
}

}  // namespace

void RegisterSync(CLI::App& app) {
  auto* cmd = app.add_subcommand("sync", "One sync round with the hub: push, pull, verify");
  auto in = std::make_shared<SyncInputs>();
  SyncClientOptions& c = in->client;
  cmd->add_option("--db", c.db_path, "Office replica")->required();
  cmd->add_option("--hub", c.hub, "The hub's HOST:PORT; HOST must be named in its certificate")
      ->required();
  cmd->add_option("--cert", c.tls.cert, "This office's certificate (PEM)")->required();
  cmd->add_option("--key", c.tls.key, "This office's private key (PEM)")->required();
  cmd->add_option("--ca", c.tls.ca, "The city office's CA certificate (PEM)")->required();
  cmd->add_option("--crl", c.tls.crl, "The CA's revocation list, to check the hub's certificate");
  cmd->add_option("--retry", c.retries, "Further attempts after a failed one")
      ->default_val(c.retries)
      ->check(CLI::Range(0, 1000));
  cmd->add_option("--backoff-ms", in->backoff_ms,
                  "Wait before the first retry; doubles each time, at most 60 s")
      ->default_val(in->backoff_ms)
      ->check(CLI::Range(0, 60'000));
  cmd->add_option("--timeout-ms", in->timeout_ms, "Longest wait for any one read or write")
      ->default_val(in->timeout_ms)
      ->check(CLI::Range(1, 3'600'000));
  cmd->add_option("--max-batch", c.office.max_batch_changes,
                  "Most changes per push batch (lowered to the hub's limit)")
      ->default_val(c.office.max_batch_changes)
      ->check(CLI::Range(1, 1'000'000));
  cmd->add_flag("--reseed", in->reseed,
                "After pushing, replace the replica with a fresh one filled from the master "
                "copy (the old file is kept beside it): repairs a scope that differs");
  cmd->footer(
      "Example:\n"
      "  liaison sync --db town-a.db --hub hub.city.example:7443 \\\n"
      "      --cert town-a.crt --key town-a.key --ca ca.crt --retry 3");
  cmd->callback([in] {
    SyncClientOptions options = in->client;
    options.backoff = std::chrono::milliseconds(in->backoff_ms);
    options.timeout = std::chrono::milliseconds(in->timeout_ms);
    const bool terminal = ::isatty(STDERR_FILENO) == 1;
    bool shown = false;
    if (terminal) {
      options.on_progress = [&shown](const SyncProgress& p) {
        shown = true;
        ShowProgress(p);
      };
    }
    options.on_retry = [&shown](int attempt, const Status& why, std::chrono::milliseconds wait) {
      if (shown) std::cerr << "\n";
      shown = false;
      std::cerr << "liaison: attempt " << attempt << " failed: " << why.message()
                << "; retrying in " << wait.count() << " ms\n";
    };
    auto round = [&]() {
      Result<SyncSummary> summary = RunSync(options);
      if (shown) std::cerr << "\n";
      shown = false;
      if (!summary.ok()) Fail(summary.status());
      std::cout << SummaryLine(*summary) << "\n";
      for (const wire::Quarantined& q : summary->quarantine) {
        std::cout << "quarantined at the hub: change " << q.seq << ": " << q.reason << "\n";
      }
      if (!summary->complete) {
        Fail("the round did not complete" +
             (summary->refusal.empty() ? std::string() : ": " + summary->refusal));
      }
      return std::move(summary).value();
    };
    // The round before a re-seed tells the hub so: it is taken even from an office
    // behind the retention horizon, and the replica is retired once it completes.
    options.office.reseeding = in->reseed;
    SyncSummary last = round();
    options.office.reseeding = false;
    if (in->reseed) {
      std::string backup = Check(ReseedReplica(options.db_path));
      std::cout << "moved " << options.db_path << " aside to " << backup
                << "; filling a new replica from the master copy\n";
      last = round();
    }
    if (!last.verified) {
      throw CommandError("this office's data differs from the master copy at hub sequence " +
                             std::to_string(last.hub_sequence) +
                             " (see the quarantined changes); `liaison sync --reseed` repairs it",
                         kExitScopeDiffers);
    }
  });
}

}  // namespace liaison::cli
