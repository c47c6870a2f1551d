// liaison: the offline-first sync engine's command line. See README.md.
#include <iostream>

#include "command.h"

namespace liaison::cli {

Replica OpenReplica(const std::string& path) { return Check(Replica::Open(path)); }

}  // namespace liaison::cli

int main(int argc, char** argv) {
  using namespace liaison::cli;
  CLI::App app{"Liaison: offline-first SQLite replicas for the deputy-work offices", "liaison"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("liaison 0.1.0"));
  RegisterInit(app);
  RegisterDigest(app);
  RegisterChanges(app);
  RegisterConflicts(app);
  RegisterExport(app);
  RegisterImport(app);
  RegisterVector(app);
  RegisterDomainCommands(app);
  RegisterHub(app);
  RegisterSync(app);
  RegisterPki(app);
  RegisterAudit(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "liaison: " << e.what() << "\n";
    return 2;
  } catch (const CommandError& e) {
    std::cerr << "liaison: " << e.what() << "\n";
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "liaison: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
