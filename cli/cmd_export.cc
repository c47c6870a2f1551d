// liaison export --db F --out BUNDLE [--since VECTOR]
//
// Writes the changes this replica knows (its own and those it relays) to a bundle
// file, for an office with no network. With --since, only the changes that vector
// does not cover: take it from the receiving replica with `liaison vector`.
#include <iostream>

#include "command.h"
#include "liaison/bundle.h"

namespace liaison::cli {

void RegisterExport(CLI::App& app) {
  auto* cmd = app.add_subcommand("export", "Write this replica's changes to a bundle file");
  auto db = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto since = std::make_shared<std::string>();
  cmd->add_option("--db", *db, "Replica file")->required();
  cmd->add_option("--out", *out, "Bundle file to write (replaced when it exists)")->required();
  cmd->add_option("--since", *since,
                  "Version vector \"origin:seq,...\" the receiver already has. Default: "
                  "empty (every change)");
  cmd->footer(
      "Example:\n"
      "  liaison export --db town-a.db --out a.bundle --since \"$(liaison vector --db hub.db)\"\n"
      "  liaison import --db hub.db a.bundle");
  cmd->callback([=] {
    VersionVector vector = Check(ParseVersionVector(*since));
    Replica replica = OpenReplica(*db);
    Result<ExportStats> stats = ExportBundle(replica, *out, vector);
    if (!stats.ok()) Fail(stats.status().WithContext("export " + *out));
    std::cout << "exported " << stats->changes << " changes to " << *out << " (" << stats->bytes
              << " bytes)\n";
  });
}

}  // namespace liaison::cli
