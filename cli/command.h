// The `liaison` command: each subcommand lives in its own file and registers itself
// on the CLI11 app with a Register* function declared here.
//
// A command's callback returns through Fail() on error: the message goes to stderr
// as one line, "liaison: <message>", and the process exits non-zero. Nothing is
// written to the replica unless the whole command succeeds (each write command runs
// in one transaction).
#pragma once

#include <CLI/CLI.hpp>

#include <stdexcept>
#include <string>

#include "liaison/replica.h"
#include "liaison/status.h"

namespace liaison::cli {

// Thrown from a command callback to end the command with an error; caught in main.
class CommandError : public std::runtime_error {
 public:
  explicit CommandError(const std::string& message, int exit_code = 1)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

[[noreturn]] inline void Fail(const std::string& message) { throw CommandError(message); }
[[noreturn]] inline void Fail(const Status& status) { throw CommandError(status.message()); }

// Returns the value or ends the command with its error.
template <typename T>
T Check(Result<T> result) {
  if (!result.ok()) Fail(result.status());
  return std::move(result).value();
}
inline void Check(const Status& status) {
  if (!status.ok()) Fail(status);
}

// Opens the replica named by --db, failing the command when it cannot.
Replica OpenReplica(const std::string& path);

void RegisterInit(CLI::App& app);
void RegisterDigest(CLI::App& app);
void RegisterChanges(CLI::App& app);
void RegisterConflicts(CLI::App& app);
void RegisterExport(CLI::App& app);
void RegisterImport(CLI::App& app);
void RegisterVector(CLI::App& app);
void RegisterDomainCommands(CLI::App& app);
void RegisterHub(CLI::App& app);
void RegisterSync(CLI::App& app);
void RegisterPki(CLI::App& app);
void RegisterAudit(CLI::App& app);

}  // namespace liaison::cli
