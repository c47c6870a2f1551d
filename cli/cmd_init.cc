// liaison init --db F --office ID [--hub]
#include <iostream>

#include "command.h"

namespace liaison::cli {

void RegisterInit(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "init", "Create a replica (or, with --hub, the city office's master copy) with the "
              "current schema");
  auto db = std::make_shared<std::string>();
  auto office = std::make_shared<std::string>();
  auto hub = std::make_shared<bool>(false);
  cmd->add_option("--db", *db, "Replica file to create (must not exist)")->required();
  cmd->add_option("--office", *office, "Office id this replica belongs to, e.g. town-a")
      ->required();
  cmd->add_flag("--hub", *hub, "Create the hub's master copy instead of an office replica");
  cmd->footer("Example: liaison init --db town-a.db --office town-a");
  cmd->callback([=] {
    Replica replica = Check(Replica::Create(*db, OfficeId(*office), *hub ? Role::kHub : Role::kOffice));
    const ReplicaInfo& info = replica.info();
    std::cout << "created " << RoleName(info.role) << " replica " << *db << " for office "
              << info.office_id.value() << " (replica " << info.replica_id.value() << ", schema "
              << info.schema_version << ")\n";
  });
}

}  // namespace liaison::cli
