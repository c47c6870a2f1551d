// liaison import --db F BUNDLE
//
// Verifies a bundle file (every record, the record count and the SHA-256 trailer),
// then merges its changes into the replica in one transaction. A damaged, truncated
// or foreign file is refused and changes nothing. Importing a bundle twice is the
// same as importing it once. A signed bundle's signature must verify; with --pki DIR
// its certificate is also checked against DIR/ca.crt and DIR/ca.crl, which a hub
// requires: there the signature is kept with the changes for the auditors.
#include <filesystem>
#include <iostream>

#include "command.h"
#include "liaison/bundle.h"
#include "liaison/pki.h"

namespace liaison::cli {

void RegisterImport(CLI::App& app) {
  auto* cmd = app.add_subcommand("import", "Merge the changes of a bundle file into a replica");
  auto db = std::make_shared<std::string>();
  auto bundle = std::make_shared<std::string>();
  cmd->add_option("--db", *db, "Replica file")->required();
  auto pki = std::make_shared<std::string>();
  cmd->add_option("bundle", *bundle, "Bundle file written by `liaison export`")->required();
  cmd->add_option("--pki", *pki,
                  "The city office's PKI directory: check a signed bundle's certificate "
                  "against its ca.crt and ca.crl (required at the hub for signed bundles)");
  cmd->footer("Example: liaison import --db hub.db a.bundle --pki pki");
  cmd->callback([=] {
    ImportOptions options;
    if (!pki->empty()) {
      PkiPaths paths = PkiPaths::In(*pki);
      options.ca_path = paths.ca_cert;
      if (std::filesystem::exists(paths.crl)) options.crl_path = paths.crl;
    }
    Replica replica = OpenReplica(*db);
    Result<ImportStats> stats = ImportBundle(replica, *bundle, options);
    if (!stats.ok()) Fail(stats.status().WithContext("import " + *bundle));
    std::cout << "imported " << *bundle << ": " << stats->received << " received, "
              << stats->applied << " applied, " << stats->duplicates << " duplicates, "
              << stats->conflicts << " conflicts";
    if (stats->parked > 0) std::cout << ", " << stats->parked << " waiting for their insert";
    if (stats->quarantined > 0) {
      std::cout << ", " << stats->quarantined
                << " kept aside: made before a delete every office had seen "
                   "(liaison hub quarantine)";
    }
    std::cout << "\n";
    if (stats->signed_by.empty()) {
      std::cout << "unsigned bundle\n";
    } else {
      std::cout << "signed by " << stats->signed_by << " (certificate 0x" << stats->signer_serial
                << (stats->signer_trusted ? ", issued by the CA" : ", not checked against a CA: no --pki")
                << "): " << stats->signed_changes << " of its own changes\n";
    }
  });
}

}  // namespace liaison::cli
