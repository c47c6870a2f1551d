// liaison import --db F BUNDLE
//
// Verifies a bundle file (every record, the record count and the SHA-256 trailer),
// then merges its changes into the replica in one transaction. A damaged, truncated
// or foreign file is refused and changes nothing. Importing a bundle twice is the
// same as importing it once.
#include <iostream>

#include "command.h"
#include "liaison/bundle.h"

namespace liaison::cli {

void RegisterImport(CLI::App& app) {
  auto* cmd = app.add_subcommand("import", "Merge the changes of a bundle file into a replica");
  auto db = std::make_shared<std::string>();
  auto bundle = std::make_shared<std::string>();
  cmd->add_option("--db", *db, "Replica file")->required();
  cmd->add_option("bundle", *bundle, "Bundle file written by `liaison export`")->required();
  cmd->footer("Example: liaison import --db hub.db a.bundle");
  cmd->callback([=] {
    Replica replica = OpenReplica(*db);
    Result<ApplyStats> stats = ImportBundle(replica, *bundle);
    if (!stats.ok()) Fail(stats.status().WithContext("import " + *bundle));
    std::cout << "imported " << *bundle << ": " << stats->received << " received, "
              << stats->applied << " applied, " << stats->duplicates << " duplicates, "
              << stats->conflicts << " conflicts";
    if (stats->parked > 0) std::cout << ", " << stats->parked << " waiting for their insert";
    std::cout << "\n";
  });
}

}  // namespace liaison::cli
