// liaison audit verify DB
//
// The auditor's tools (engine/audit/AUDIT.md). `verify` checks the audit chain of a
// hub's master copy against its log: exit 0 when every entry matches, 1 naming the
// first bad entry.
#include <iostream>

#include "command.h"
#include "liaison/audit.h"

namespace liaison::cli {

void RegisterAudit(CLI::App& app) {
  auto* audit = app.add_subcommand("audit", "The auditor's tools for the hub's change log");
  audit->require_subcommand(1);

  auto* verify = audit->add_subcommand(
      "verify", "Check the hash chain of the hub's master log; name the first bad entry");
  auto db = std::make_shared<std::string>();
  verify->add_option("db", *db, "The hub's master copy")->required();
  verify->footer("Exit status: 0 when the chain holds, 1 when an entry is bad or missing.");
  verify->callback([=] {
    Replica replica = OpenReplica(*db);
    ChainReport report = Check(VerifyChain(replica));
    if (!report.ok()) {
      Fail("audit chain broken at entry " + std::to_string(report.bad_entry) + ": " +
           report.problem + " (" + std::to_string(report.entries) + " entries before it are good)");
    }
    std::cout << "chain verified: " << report.entries << " entries, head " << report.head << "\n";
    if (report.own_unchained > 0) {
      std::cout << report.own_unchained
                << " edits of the master copy are not chained yet (they will be at the next "
                   "sync or hub start)\n";
    }
  });
}

}  // namespace liaison::cli
