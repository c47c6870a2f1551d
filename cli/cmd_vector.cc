// liaison vector --db F
//
// Prints the replica's version vector, "origin:seq,origin:seq" (sorted by origin):
// for each origin, the highest seq such that every change up to it is known here.
// Pass it to `liaison export --since` on another replica to carry only what this
// one lacks.
#include <iostream>

#include "command.h"
#include "liaison/merger.h"

namespace liaison::cli {

void RegisterVector(CLI::App& app) {
  auto* cmd = app.add_subcommand("vector", "Print the version vector of what this replica knows");
  auto db = std::make_shared<std::string>();
  cmd->add_option("--db", *db, "Replica file")->required();
  cmd->footer(
      "Example: liaison export --db a.db --out x.bundle --since \"$(liaison vector --db b.db)\"");
  cmd->callback([=] {
    Replica replica = OpenReplica(*db);
    std::cout << FormatVersionVector(Check(KnownVector(replica.db()))) << "\n";
  });
}

}  // namespace liaison::cli
