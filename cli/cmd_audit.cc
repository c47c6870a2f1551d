// liaison audit export --db F --out LOG [--ca CA]
// liaison audit verify LOG-or-DB
// liaison audit replay LOG-or-DB --until TIME --out F
// liaison audit history LOG-or-DB TABLE KEY [--json]
// liaison audit witness LOG-or-DB --office OFFICE.db
//
// The auditor's tools (engine/audit/AUDIT.md), on the hub's master copy or on a log
// exported from it. `export` writes the verified chain, the hub's signed checkpoints
// and the CA certificate to one file. `verify` checks the chain (against the log, in
// a database) and every checkpoint: exit 0 when all hold, 1 naming the first bad
// entry. `replay` rebuilds the data as of a moment into a new file; `history` lists
// every change of one row with the values before and after it. Both verify the chain
// on the way and refuse a broken one. `witness` holds the checkpoints an office kept
// against the chain as it is now.
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>

#include "command.h"
#include "liaison/audit.h"
#include "liaison/json.h"
#include "liaison/pki.h"

namespace liaison::cli {
namespace {

// "2026-11-05" (the start of that day, UTC), "2026-11-05T09:30", "…T09:30:15",
// "…T09:30:15.250", each with an optional "Z" or "+08:00" / "-05:00": Unix ms.
std::int64_t ParseMoment(const std::string& text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, milli = 0, used = 0;
  const char* p = text.c_str();
  auto fail = [&]() -> std::int64_t {
    Fail("--until " + text + ": expected a date or a time such as 2026-11-05 or "
         "2026-11-05T09:30:00+08:00");
  };
  if (std::sscanf(p, "%4d-%2d-%2d%n", &year, &month, &day, &used) != 3 || used != 10) return fail();
  p += used;
  if (*p == 'T') {
    if (std::sscanf(p, "T%2d:%2d%n", &hour, &minute, &used) != 2 || used != 6) return fail();
    p += used;
    if (*p == ':') {
      if (std::sscanf(p, ":%2d%n", &second, &used) != 1 || used != 3) return fail();
      p += used;
      if (*p == '.') {
        if (std::sscanf(p, ".%3d%n", &milli, &used) != 1 || used != 4) return fail();
        p += used;
      }
    }
  }
  int offset_minutes = 0;
  if (*p == 'Z') {
    ++p;
  } else if (*p == '+' || *p == '-') {
    int oh = 0, om = 0;
    if (std::sscanf(p + 1, "%2d:%2d%n", &oh, &om, &used) != 2 || used != 5) return fail();
    offset_minutes = (*p == '-' ? -1 : 1) * (oh * 60 + om);
    p += 1 + used;
  }
  if (*p != '\0' || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
      minute > 59 || second > 60) {
    return fail();
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::time_t t = timegm(&tm);
  return (static_cast<std::int64_t>(t) - offset_minutes * 60) * 1000 + milli;
}

std::string FormatMs(std::int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return text;
}

std::string ValuesText(const std::map<std::string, Value>& row) {
  if (row.empty()) return "(no row)";
  std::string out;
  for (const auto& [column, value] : row) {
    if (column == "id") continue;
    out += (out.empty() ? "" : ", ") + column + "=" + JsonValue(value);
  }
  return out;
}

void WriteRow(JsonWriter& w, const std::map<std::string, Value>& row) {
  if (row.empty()) {
    w.Null();
    return;
  }
  w.BeginObject();
  for (const auto& [column, value] : row) w.Key(column).Val(value);
  w.EndObject();
}

void PrintHistory(const RowHistory& h, bool json) {
  if (json) {
    JsonWriter w;
    w.BeginObject().Key("changes").BeginArray();
    for (const auto& e : h.events) {
      // clang-format off
      w.BeginObject()
          .Key("entry").Int(e.n)
          .Key("accepted_at").String(FormatMs(e.accepted_ms))
          .Key("office").String(e.office)
          .Key("signed_by").String(e.signed_by)
          .Key("origin").String(e.change.origin.value())
          .Key("seq").Int(e.change.seq.value())
          .Key("op").String(ChangeOpName(e.change.op))
          .Key("hlc").Int(e.change.hlc.as_int64())
          .Key("before");
      // clang-format on
      WriteRow(w, e.before);
      w.Key("after");
      WriteRow(w, e.after);
      w.EndObject();
    }
    w.EndArray().Key("conflicts").BeginArray();
    for (const auto& k : h.conflicts) {
      // clang-format off
      w.BeginObject()
          .Key("detected_at").String(k.detected_at)
          .Key("column").String(k.column)
          .Key("reason").String(k.reason)
          .Key("winner").Val(k.winner.value)
          .Key("winner_origin").String(k.winner.clock.origin.value())
          .Key("loser").Val(k.loser.value)
          .Key("loser_origin").String(k.loser.clock.origin.value())
          .EndObject();
      // clang-format on
    }
    w.EndArray().EndObject();
    std::cout << w.str() << "\n";
    return;
  }
  for (const auto& e : h.events) {
    std::cout << "entry " << e.n << "  " << FormatMs(e.accepted_ms) << "  office " << e.office
              << "  " << ChangeOpName(e.change.op) << " (" << e.change.name() << ")\n"
              << "  signed: " << (e.signed_by.empty() ? "no" : "by " + e.signed_by) << "\n"
              << "  before: " << ValuesText(e.before) << "\n"
              << "  after:  " << ValuesText(e.after) << "\n";
  }
  for (const auto& k : h.conflicts) {
    std::cout << "conflict " << k.detected_at << "  " << k.column << " (" << k.reason
              << "): kept " << JsonValue(k.winner.value) << " of " << k.winner.clock.origin
              << ", lost " << JsonValue(k.loser.value) << " of " << k.loser.clock.origin << "\n";
  }
  if (h.events.empty()) std::cout << "no change of this row in the log\n";
}

// The chain an auditor's command reads: an exported log, or a hub's database.
struct Opened {
  std::optional<Replica> replica;
  std::optional<AuditLogFile> file;
  ChainSource source;
};

std::unique_ptr<Opened> OpenChain(const std::string& path) {
  auto opened = std::make_unique<Opened>();
  if (IsAuditLogFile(path)) {
    opened->file.emplace(Check(AuditLogFile::Open(path)));
    opened->source = opened->file->source();
  } else {
    std::ifstream in(path, std::ios::binary);
    std::string magic(16, '\0');
    if (in && in.read(magic.data(), 16) && magic != std::string("SQLite format 3\0", 16)) {
      Fail(path + " is neither an exported audit log nor a hub's database");
    }
    opened->replica.emplace(OpenReplica(path));
    opened->source = SourceOf(*opened->replica);
  }
  return opened;
}

}  // namespace

void RegisterAudit(CLI::App& app) {
  auto* audit = app.add_subcommand("audit", "The auditor's tools for the hub's change log");
  audit->require_subcommand(1);

  auto* exporter = audit->add_subcommand(
      "export", "Write the hub's verified chain and signed checkpoints to one file");
  auto export_db = std::make_shared<std::string>();
  auto export_out = std::make_shared<std::string>();
  auto export_ca = std::make_shared<std::string>();
  exporter->add_option("--db", *export_db, "The hub's master copy")->required();
  exporter->add_option("--out", *export_out, "The log file to write (must not exist)")->required();
  exporter->add_option("--ca", *export_ca,
                       "The CA certificate (PEM) the hub's was issued by, carried in the log");
  exporter->footer("Example: liaison audit export --db city.db --out city-2026-11.log --ca pki/ca.crt");
  exporter->callback([=] {
    std::string ca_der;
    if (!export_ca->empty()) {
      std::ifstream in(*export_ca);
      if (!in) Fail("cannot read " + *export_ca);
      std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      ca_der = Check(CertificateDerFromPem(pem, *export_ca));
    }
    Replica replica = OpenReplica(*export_db);
    LogExportStats stats = Check(ExportChain(replica, *export_out, ca_der));
    std::cout << "exported " << stats.entries << " entries and " << stats.checkpoints
              << " signed checkpoints to " << *export_out << " (" << stats.bytes << " bytes)\n";
  });

  auto* verify = audit->add_subcommand(
      "verify", "Check the hash chain and the signed checkpoints; name the first bad entry");
  auto db = std::make_shared<std::string>();
  verify->add_option("log", *db, "An exported log, or the hub's master copy")->required();
  auto allow_unsigned = std::make_shared<bool>(false);
  verify->add_flag("--allow-unsigned", *allow_unsigned,
                   "Count the changes attributed to an office that carry no signature of "
                   "it, instead of failing on the first (history from before offices signed)");
  verify->footer(
      "Exit status: 0 when the chain holds and every change attributed to an office\n"
      "carries that office's signature; 1 when an entry is bad or missing, or (without\n"
      "--allow-unsigned) an office's change is unsigned.\n\n"
      "Example: liaison audit verify city.audit");
  verify->callback([=] {
    auto opened = OpenChain(*db);
    ChainReport report = Check(opened->source.walk(nullptr));
    if (!report.ok()) {
      if (report.bad_entry == 0) Fail("audit log broken: " + report.problem);
      Fail("audit chain broken at entry " + std::to_string(report.bad_entry) + ": " +
           report.problem + " (" + std::to_string(report.entries) + " entries before it are good)");
    }
    std::cout << "chain verified: " << report.entries << " entries, head " << report.head << "\n";
    if (report.checkpoints > 0) {
      std::cout << report.checkpoints << " checkpoints signed by the hub match the chain\n";
    }
    if (report.signed_changes + report.unsigned_changes > 0) {
      std::cout << report.signed_changes << " of " << report.signed_changes + report.unsigned_changes
                << " changes from offices carry the signature of the office they are "
                   "attributed to\n";
    }
    if (opened->file && !opened->file->ca_subject().empty() && report.checkpoints > 0) {
      std::cout << "every checkpoint's certificate was issued by the log's CA \""
                << opened->file->ca_subject() << "\"\n";
    }
    if (report.own_unchained > 0) {
      std::cout << report.own_unchained
                << " edits of the master copy are not chained yet (they will be at the next "
                   "sync or hub start)\n";
    }
    if (report.unsigned_changes > 0 && !*allow_unsigned) {
      std::cout << std::flush;
      Fail(std::to_string(report.unsigned_changes) +
           " changes attributed to offices carry no signature of theirs; the first is entry " +
           std::to_string(report.first_unsigned) + ", attributed to " +
           report.first_unsigned_office +
           " (--allow-unsigned counts them instead, for history from before offices signed)");
    }
  });

  auto* witness = audit->add_subcommand(
      "witness", "Hold the checkpoints an office kept against the hub's chain as it is now");
  auto witness_log = std::make_shared<std::string>();
  auto witness_office = std::make_shared<std::string>();
  witness->add_option("log", *witness_log, "An exported log, or the hub's master copy")->required();
  witness->add_option("--office", *witness_office, "The office's replica")->required();
  witness->footer(
      "Exit status: 0 when every checkpoint the office kept matches the chain, 1 when one "
      "does not (the hub's history was rewritten after the office saw it) or the chain is "
      "broken.\nExample: liaison audit witness city.log --office town-a.db");
  witness->callback([=] {
    auto opened = OpenChain(*witness_log);
    const std::string hub_id = opened->file ? opened->file->hub_replica_id()
                                            : opened->replica->info().replica_id.value();
    Replica office = OpenReplica(*witness_office);
    WitnessReport report = Check(CompareWitness(opened->source, hub_id, office));
    if (report.findings.empty()) {
      std::cout << *witness_office << " kept no checkpoint of this hub's chain\n";
    }
    for (const WitnessFinding& f : report.findings) {
      std::cout << "entry " << f.checkpoint.n << "  signed " << FormatMs(f.checkpoint.signed_ms)
                << "  seen " << FormatMs(f.seen_ms) << "  head "
                << HexBytes(f.checkpoint.head).substr(0, 16) << "…  ";
      if (!f.extended) {
        std::cout << "did not extend the one kept before it: the office refused that sync\n";
      } else if (f.matches) {
        std::cout << "matches the chain\n";
      } else {
        std::cout << "DOES NOT match the chain: the history the office saw was rewritten\n";
      }
    }
    if (!report.chain.ok()) {
      std::cout << "the chain itself is broken at entry " << report.chain.bad_entry << ": "
                << report.chain.problem << "\n";
    }
    if (!report.ok()) {
      Fail("the hub's chain does not hold what " + *witness_office + " saw of it");
    }
  });

  auto* replay = audit->add_subcommand(
      "replay", "Rebuild the replicated data as the master copy held it at a moment");
  auto replay_db = std::make_shared<std::string>();
  auto until = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  replay->add_option("log", *replay_db, "An exported log, or the hub's master copy")->required();
  replay->add_option("--until", *until,
                     "The moment: 2026-11-05 (start of the day, UTC) or 2026-11-05T09:30:00+08:00")
      ->required();
  replay->add_option("--out", *out, "The new SQLite file to write (must not exist)")->required();
  replay->callback([=] {
    const std::int64_t until_ms = ParseMoment(*until);
    auto opened = OpenChain(*replay_db);
    ReplayStats stats = Check(ReplayChain(opened->source, until_ms, *out));
    std::cout << "replayed " << stats.applied << " of " << stats.entries
              << " changes accepted by " << FormatMs(until_ms) << " into " << *out << "\n";
  });

  auto* history = audit->add_subcommand(
      "history", "Every change of one row: time, office, values before and after, conflicts");
  auto history_db = std::make_shared<std::string>();
  auto table = std::make_shared<std::string>();
  auto key = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  history->add_option("log", *history_db, "An exported log, or the hub's master copy")->required();
  history->add_option("table", *table, "A replicated table, e.g. voters")->required();
  history->add_option("key", *key, "The row's id")->required();
  history->add_flag("--json", *json, "One JSON object instead of text");
  history->callback([=] {
    auto opened = OpenChain(*history_db);
    PrintHistory(Check(HistoryOf(opened->source, *table, *key)), *json);
  });
}

}  // namespace liaison::cli
