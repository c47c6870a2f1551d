// liaison export --db F --out BUNDLE [--since VECTOR] [--cert C --key K]
//
// Writes the changes this replica knows (its own and those it relays) to a bundle
// file, for an office with no network. With --since, only the changes that vector
// does not cover: take it from the receiving replica with `liaison vector`. With
// --cert and --key (the office's own, as for `liaison sync`), the replica's own
// changes in the bundle are signed, so that the hub and its auditors can prove they
// came from this office.
#include <iostream>
#include <optional>

#include "command.h"
#include "liaison/bundle.h"
#include "liaison/pki.h"

namespace liaison::cli {

void RegisterExport(CLI::App& app) {
  auto* cmd = app.add_subcommand("export", "Write this replica's changes to a bundle file");
  auto db = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto since = std::make_shared<std::string>();
  cmd->add_option("--db", *db, "Replica file")->required();
  cmd->add_option("--out", *out, "Bundle file to write (replaced when it exists)")->required();
  auto cert = std::make_shared<std::string>();
  auto key = std::make_shared<std::string>();
  cmd->add_option("--since", *since,
                  "Version vector \"origin:seq,...\" the receiver already has. Default: "
                  "empty (every change)");
  cmd->add_option("--cert", *cert, "This office's certificate (PEM): sign the bundle");
  cmd->add_option("--key", *key, "This office's private key (PEM), with --cert");
  cmd->footer(
      "Example:\n"
      "  liaison export --db town-a.db --out a.bundle --since \"$(liaison vector --db hub.db)\" \\\n"
      "      --cert pki/offices/town-a.crt --key pki/offices/town-a.key\n"
      "  liaison import --db hub.db a.bundle --pki pki");
  cmd->callback([=] {
    VersionVector vector = Check(ParseVersionVector(*since));
    if (cert->empty() != key->empty()) {
      Fail(Status::InvalidArgument("--cert and --key go together"));
    }
    std::optional<Signer> signer;
    if (!cert->empty()) signer = Check(Signer::FromFiles(*cert, *key));
    Replica replica = OpenReplica(*db);
    Result<ExportStats> stats =
        ExportBundle(replica, *out, ExportOptions{vector, signer ? &*signer : nullptr});
    if (!stats.ok()) Fail(stats.status().WithContext("export " + *out));
    std::cout << "exported " << stats->changes << " changes to " << *out << " (" << stats->bytes
              << " bytes" << (signer ? ", signed" : ", unsigned") << ")\n";
  });
}

}  // namespace liaison::cli
