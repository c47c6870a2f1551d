// liaison import --db F BUNDLE [--pki DIR] [--allow-unsigned]
//
// Verifies a bundle file (every record, the record count and the SHA-256 trailer),
// then merges its changes into the replica in one transaction. A damaged, truncated
// or foreign file is refused and changes nothing. Importing a bundle twice is the
// same as importing it once. A signed bundle's signature must verify; with --pki DIR
// its certificate is also checked against DIR/ca.crt and DIR/ca.crl.
//
// Into the hub's master copy, the bundle goes through the hub's door (HUB.md): it
// must be signed by an office of the master copy (--pki required; --allow-unsigned
// opens a migration window), and a change the office may not write (another office's
// row, a clock too far ahead, a value the schema refuses) is kept in quarantine while
// the rest merges; the signature is kept with the changes for the auditors.
#include <filesystem>
#include <iostream>

#include "command.h"
#include "liaison/bundle.h"
#include "liaison/hub.h"
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
  auto allow_unsigned = std::make_shared<bool>(false);
  cmd->add_flag("--allow-unsigned", *allow_unsigned,
                "At the hub: admit an office's unsigned bundle (a migration window for "
                "offices whose liaison does not sign yet)");
  cmd->footer(
      "Exit codes: 0 imported; 1 refused or failed (nothing changed).\n\n"
      "Example: liaison import --db hub.db a.bundle --pki pki");
  cmd->callback([=] {
    ImportOptions options;
    if (!pki->empty()) {
      PkiPaths paths = PkiPaths::In(*pki);
      options.ca_path = paths.ca_cert;
      if (std::filesystem::exists(paths.crl)) options.crl_path = paths.crl;
    }
    Result<ImportStats> stats = Status::Internal("not imported");
    bool at_hub = false;
    {
      Replica replica = OpenReplica(*db);
      at_hub = replica.info().role == Role::kHub;
      if (!at_hub && *allow_unsigned) {
        Fail(Status::InvalidArgument("--allow-unsigned is for the hub's master copy"));
      }
      if (!at_hub) stats = ImportBundle(replica, *bundle, options);
    }
    if (at_hub) {
      HubOptions hub_options;
      hub_options.allow_unsigned = *allow_unsigned;
      Result<Hub> hub = Hub::Open(*db, hub_options);
      if (!hub.ok()) Fail(hub.status().WithContext("open " + *db));
      stats = hub->ImportBundle(*bundle, options);
    }
    if (!stats.ok()) Fail(stats.status().WithContext("import " + *bundle));
    std::cout << "imported " << *bundle << ": " << stats->received << " received, "
              << stats->applied << " applied, " << stats->duplicates << " duplicates, "
              << stats->conflicts << " conflicts";
    if (stats->parked > 0) std::cout << ", " << stats->parked << " waiting for their insert";
    if (stats->quarantined > 0) {
      std::cout << ", " << stats->quarantined << " kept aside (liaison hub quarantine)";
    }
    if (stats->left > 0) {
      std::cout << ", " << stats->left
                << " of other offices left for them to deliver (not signed by them)";
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
