#include "command.h"
namespace liaison::cli {
void RegisterDomainCommands(CLI::App&) {}
}
