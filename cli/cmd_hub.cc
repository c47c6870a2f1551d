// liaison hub serve --db F --listen HOST:PORT (--pki DIR | --cert C --key K --ca CA --crl CRL)
//                   [--max-connections N] [--max-handshakes N] [--max-handshakes-per-peer N]
//                   [--handshake-timeout-ms N] [--idle-timeout-ms N] [--max-frame-bytes N]
//                   [--frame-memory-mib N] [--refusal-log-interval-ms N] [--max-batch N]
//                   [--cache-mib N] [--max-clock-ahead-ms N]
// liaison hub status --db F [--json]
// liaison hub compact --db F [--retain-days N] [--json]
// liaison hub quarantine --db F [--json]
//
// The hub daemon (engine/include/liaison/net.h) and what it keeps about the offices
// (engine/include/liaison/hub.h). `serve` prints "listening on HOST:PORT" on stdout
// once bound (port 0 picks a free one), then on stderr one log line per sync session,
// a few refused connections and a summary of the others per interval (client-chosen
// text escaped: engine/net/NET.md, "Log"); SIGTERM or SIGINT stops it: no new connections, open
// sessions finish (at most the idle timeout), exit 0. `compact` computes the retention
// horizon from what every office has acknowledged and slims the tombstones it covers
// (HUB.md, "Retention"); the master log and the audit chain are never touched.
#include <iostream>

#include "command.h"
#include "liaison/hlc.h"
#include "liaison/hub.h"
#include "liaison/json.h"
#include "liaison/net.h"
#include "liaison/pki.h"
#include "liaison/retention.h"
#include "records.h"

namespace liaison::cli {
namespace {

struct ServeInputs {
  HubServerOptions server;
  std::string pki_dir;
  std::int64_t handshake_timeout_ms = server.handshake_timeout.count();
  std::int64_t idle_timeout_ms = server.idle_timeout.count();
  std::int64_t refusal_log_interval_ms = server.refusal_log_interval.count();
  std::uint64_t frame_memory_mib = server.frame_memory_bytes >> 20;
};

// The TLS files from --pki DIR, or each from its own option.
TlsFiles ServeTlsFiles(const ServeInputs& in) {
  const TlsFiles& given = in.server.tls;
  if (!in.pki_dir.empty()) {
    PkiPaths paths = PkiPaths::In(in.pki_dir);
    return TlsFiles{paths.hub_cert, paths.hub_key, paths.ca_cert, paths.crl};
  }
  if (given.cert.empty() || given.key.empty() || given.ca.empty() || given.crl.empty()) {
    Fail("give --pki DIR, or all of --cert, --key, --ca and --crl");
  }
  return given;
}

void RegisterServe(CLI::App& hub) {
  auto* cmd = hub.add_subcommand("serve", "Run the hub daemon: offices sync with it over TLS");
  auto in = std::make_shared<ServeInputs>();
  HubServerOptions& s = in->server;
  cmd->add_option("--db", s.db_path, "The hub's replica (made with `liaison init --hub`)")
      ->required();
  cmd->add_option("--listen", s.listen, "HOST:PORT to listen on; port 0 picks a free one")
      ->default_val(s.listen);
  auto* pki = cmd->add_option("--pki", in->pki_dir,
                              "Certificate authority directory: uses its hub.crt, hub.key, "
                              "ca.crt and ca.crl");
  for (auto [name, path, what] : {std::tuple{"--cert", &s.tls.cert, "Hub certificate (PEM)"},
                                  std::tuple{"--key", &s.tls.key, "Hub private key (PEM)"},
                                  std::tuple{"--ca", &s.tls.ca, "CA certificate (PEM)"},
                                  std::tuple{"--crl", &s.tls.crl, "CA revocation list (PEM)"}}) {
    cmd->add_option(name, *path, what)->excludes(pki);
  }
  cmd->add_option("--max-connections", s.max_connections,
                  "Sessions of authenticated offices at once; more get a \"busy\" refusal "
                  "and retry later")
      ->default_val(s.max_connections)
      ->check(CLI::Range(1, 100'000));
  cmd->add_option("--max-handshakes", s.max_handshakes,
                  "Connections still in the TLS handshake, in all (apart from the sessions); "
                  "a newcomer takes the slot of the peer holding the most, or is closed")
      ->default_val(s.max_handshakes)
      ->check(CLI::Range(1, 100'000));
  cmd->add_option("--max-handshakes-per-peer", s.max_handshakes_per_peer,
                  "Connections in the TLS handshake from one IPv4 address or IPv6 /64; more "
                  "are closed at once")
      ->default_val(s.max_handshakes_per_peer)
      ->check(CLI::Range(1, 100'000));
  cmd->add_option("--handshake-timeout-ms", in->handshake_timeout_ms,
                  "Time a new connection has to complete the TLS handshake")
      ->default_val(in->handshake_timeout_ms)
      ->check(CLI::Range(1, 3'600'000));
  cmd->add_option("--idle-timeout-ms", in->idle_timeout_ms,
                  "Time an office has to send its next message; also the longest wait "
                  "for open sessions when stopping")
      ->default_val(in->idle_timeout_ms)
      ->check(CLI::Range(1, 86'400'000));
  cmd->add_option("--max-frame-bytes", s.hub.max_frame_bytes, "Largest frame accepted")
      ->default_val(s.hub.max_frame_bytes)
      ->check(CLI::Range(std::uint32_t{1024}, wire::kHardMaxFrameBytes));
  cmd->add_option("--frame-memory-mib", in->frame_memory_mib,
                  "Memory for frames being received, across all connections, in MiB; a frame "
                  "that finds none waits (within the idle timeout), then gets \"busy\". At "
                  "least --max-frame-bytes")
      ->default_val(in->frame_memory_mib)
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 20));
  cmd->add_option("--refusal-log-interval-ms", in->refusal_log_interval_ms,
                  "Refused connections are summed up in one log line per interval (count, "
                  "reasons, top peers); the first 8 of each also get a line of their own")
      ->default_val(in->refusal_log_interval_ms)
      ->check(CLI::Range(100, 86'400'000));
  cmd->add_option("--max-batch", s.hub.max_batch_changes, "Most changes in one batch")
      ->default_val(s.hub.max_batch_changes)
      ->check(CLI::Range(1, 1'000'000));
  cmd->add_option("--cache-mib", s.hub.cache_mib, "The master copy's page cache, in MiB")
      ->default_val(s.hub.cache_mib)
      ->check(CLI::Range(std::uint32_t{1}, kMaxCacheMib));
  cmd->add_option("--max-clock-ahead-ms", s.hub.max_clock_ahead_ms,
                  "A change stamped further ahead of the hub's clock is quarantined")
      ->default_val(s.hub.max_clock_ahead_ms)
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--allow-unsigned", s.hub.allow_unsigned,
                "A migration window: admit offices whose liaison does not sign its batches");
  cmd->footer(
      "Example:\n"
      "  liaison init --db hub.db --office city --hub\n"
      "  liaison pki init-ca pki\n"
      "  liaison hub serve --db hub.db --listen 0.0.0.0:7443 --pki pki");
  cmd->callback([in] {
    HubServerOptions options = in->server;
    options.tls = ServeTlsFiles(*in);
    options.handshake_timeout = std::chrono::milliseconds(in->handshake_timeout_ms);
    options.idle_timeout = std::chrono::milliseconds(in->idle_timeout_ms);
    options.refusal_log_interval = std::chrono::milliseconds(in->refusal_log_interval_ms);
    options.frame_memory_bytes = in->frame_memory_mib << 20;
    options.log = &std::cerr;
    if (options.hub.allow_unsigned) {
      std::cerr << "warning: --allow-unsigned: offices' changes are admitted without their "
                   "signature; the audit cannot prove who sent them (close this window once "
                   "every office's liaison signs)"
                << std::endl;
    }
    const std::string host = options.listen.substr(0, options.listen.rfind(':'));
    options.on_listening = [host](std::uint16_t port) {
      std::cout << "listening on " << host << ":" << port << std::endl;
    };
    Check(ServeHub(options));
  });
}

void PrintStatusJson(const std::vector<OfficeStatus>& offices) {
  JsonWriter w;
  w.BeginArray();
  for (const OfficeStatus& o : offices) {
    // clang-format off
    w.BeginObject()
        .Key("office_id").String(o.office_id)
        .Key("replica_ids").String(o.replica_ids)
        .Key("last_sync_at").String(o.last_sync_at)
        .Key("last_result").String(o.last_result)
        .Key("last_equal_at").String(o.last_equal_at)
        .Key("last_equal_sequence").Int(o.last_equal_sequence)
        .Key("last_mismatch").Bool(o.last_mismatch)
        .Key("quarantined").Int(o.quarantined)
        .Key("skew_ms").Int(o.skew_ms)
        .Key("acknowledged_sequence").Int(o.acknowledged_sequence)
        .Key("acknowledged_at").String(o.acknowledged_at)
        .Key("retention").String(o.retention)
        .EndObject();
    // clang-format on
  }
  w.EndArray();
  std::cout << w.str() << "\n";
}

std::string CleaningLine(const HubCleaning& c) {
  return "cleaning " + std::to_string(c.id) + " on " + UtcText(c.horizon.cleaned_ms) +
         ": horizon at hub sequence " + std::to_string(c.floor.sequence()) + " of " +
         std::to_string(c.horizon.position.sequence()) + " (" + std::to_string(c.counted) +
         " office replicas counted, " + std::to_string(c.lapsed) + " lapsed, window " +
         std::to_string(c.retain_days) + " days); " + std::to_string(c.covered) +
         " tombstones covered, " + std::to_string(c.slimmed) + " slimmed now";
}

void PrintStatusText(const std::vector<OfficeStatus>& offices,
                     const std::optional<HubCleaning>& cleaning) {
  if (offices.empty()) {
    std::cout << "no office has synced yet\n";
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const OfficeStatus& o : offices) {
      rows.push_back({o.office_id, o.last_sync_at, o.last_result, o.last_equal_at,
                      std::to_string(o.last_equal_sequence), o.last_mismatch ? "yes" : "no",
                      std::to_string(o.quarantined), std::to_string(o.skew_ms), o.acknowledged_at,
                      o.retention});
    }
    PrintTable({"office", "last sync", "result", "last equal", "at sequence", "mismatch",
                "quarantined", "skew ms", "acknowledged", "retention"},
               rows);
  }
  std::cout << "retention: " << (cleaning ? CleaningLine(*cleaning) : "never cleaned") << "\n";
}

void RegisterStatus(CLI::App& hub) {
  auto* cmd = hub.add_subcommand("status", "Show each office's last sync and verification");
  auto db = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("--db", *db, "The hub's replica")->required();
  cmd->add_flag("--json", *json, "One JSON array, every field");
  cmd->callback([=] {
    Replica replica = OpenReplica(*db);
    std::vector<OfficeStatus> offices = Check(ListOfficeStatus(replica));
    if (*json) {
      PrintStatusJson(offices);
    } else {
      PrintStatusText(offices, Check(LastHubCleaning(replica.db())));
    }
  });
}

void PrintQuarantineJson(const std::vector<QuarantineEntry>& entries) {
  JsonWriter w;
  w.BeginArray();
  for (const QuarantineEntry& e : entries) {
    // clang-format off
    w.BeginObject()
        .Key("id").Int(e.id)
        .Key("received_at").String(e.received_at)
        .Key("office_id").String(e.office_id)
        .Key("origin").String(e.origin)
        .Key("seq").Int(e.seq)
        .Key("table").String(e.table)
        .Key("row_id").String(e.pk)
        .Key("op").String(e.op)
        .Key("values");
    // clang-format on
    if (e.values_json.empty()) {
      w.Null();
    } else {
      w.Raw(e.values_json);
    }
    w.Key("reason").String(e.reason).EndObject();
  }
  w.EndArray();
  std::cout << w.str() << "\n";
}

void PrintQuarantineText(const std::vector<QuarantineEntry>& entries) {
  if (entries.empty()) {
    std::cout << "quarantine is empty\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const QuarantineEntry& e : entries) {
    rows.push_back({std::to_string(e.id), e.received_at, e.office_id, std::to_string(e.seq),
                    e.table, e.pk, e.op, e.reason});
  }
  PrintTable({"id", "received", "office", "seq", "table", "row id", "op", "reason"}, rows);
}

void RegisterQuarantine(CLI::App& hub) {
  auto* cmd = hub.add_subcommand("quarantine",
                                 "List the changes the hub refused for scope or clock, kept whole");
  auto db = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("--db", *db, "The hub's replica")->required();
  cmd->add_flag("--json", *json, "One JSON array, every field and the change's values");
  cmd->callback([=] {
    Replica replica = OpenReplica(*db);
    std::vector<QuarantineEntry> entries = Check(ListQuarantine(replica));
    if (*json) {
      PrintQuarantineJson(entries);
    } else {
      PrintQuarantineText(entries);
    }
  });
}

void RegisterCompact(CLI::App& hub) {
  auto* cmd = hub.add_subcommand(
      "compact", "Compute the retention horizon and slim the tombstones every office has seen");
  auto db = std::make_shared<std::string>();
  auto options = std::make_shared<CompactOptions>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("--db", *db, "The hub's replica")->required();
  cmd->add_option("--retain-days", options->retain_days,
                  "An office whose last acknowledgement is older has lapsed: it no longer "
                  "holds the horizon back, and must re-seed once the horizon passes it")
      ->default_val(options->retain_days)
      ->check(CLI::Range(1, 36'500));
  cmd->add_flag("--json", *json, "One JSON object, every field");
  cmd->footer(
      "The master log and the audit chain are never cleaned. Offices clean their own\n"
      "logs and tombstones by the horizon at the end of their next sync.\n"
      "Example:\n"
      "  liaison hub compact --db hub.db --retain-days 90");
  cmd->callback([=] {
    OpenOptions open;
    open.full_sync = true;
    Replica replica = Check(Replica::Open(*db, open));
    HubCleaning c = Check(CompactHub(replica, *options));
    if (*json) {
      JsonWriter w;
      // clang-format off
      w.BeginObject()
          .Key("cleaning").Int(c.id)
          .Key("cleaned_at").String(UtcText(c.horizon.cleaned_ms))
          .Key("retain_days").Int(c.retain_days)
          .Key("head_sequence").Int(c.horizon.position.sequence())
          .Key("horizon_sequence").Int(c.floor.sequence())
          .Key("counted").Int(c.counted)
          .Key("lapsed").Int(c.lapsed)
          .Key("covered").Int(c.covered)
          .Key("slimmed").Int(c.slimmed)
          .Key("lapsed_offices").BeginArray();
      // clang-format on
      for (const std::string& office : c.lapsed_offices) w.String(office);
      w.EndArray().EndObject();
      std::cout << w.str() << "\n";
      return;
    }
    std::cout << CleaningLine(c) << "\n";
    for (const std::string& office : c.lapsed_offices) {
      std::cout << "lapsed: " << office << " (must re-seed once the horizon passes it)\n";
    }
  });
}

}  // namespace

void RegisterHub(CLI::App& app) {
  auto* hub = app.add_subcommand("hub", "The hub daemon and what it knows about the offices");
  hub->require_subcommand(1);
  RegisterServe(*hub);
  RegisterStatus(*hub);
  RegisterQuarantine(*hub);
  RegisterCompact(*hub);
}

}  // namespace liaison::cli
