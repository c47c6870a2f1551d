// liaison digest --db F
#include <iostream>

#include "command.h"
#include "liaison/digest.h"

namespace liaison::cli {

void RegisterDigest(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "digest", "Print one hex hash of all replicated data (metadata excluded): equal digests "
                "mean equal data");
  auto db = std::make_shared<std::string>();
  cmd->add_option("--db", *db, "Replica file")->required();
  cmd->callback([=] {
    Replica replica = OpenReplica(*db);
    std::cout << Check(Digest(replica.db())) << "\n";
  });
}

}  // namespace liaison::cli
