// A fresh temporary directory per test, removed with everything in it at the end.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace liaison::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A whole file's bytes ("" when it cannot be read), and a file written with `bytes`.
std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, std::string_view bytes);

// Every file and directory under `dir`, relative to it, sorted.
std::vector<std::string> FilesUnder(const std::string& dir);

// Runs a shell command line; returns its exit status and what it wrote.
struct CommandOutput {
  int exit_code = -1;
  std::string out;
  std::string err;
};
CommandOutput RunCommand(const std::string& command_line, const std::string& stdin_text = "");

// Quotes one argument for /bin/sh.
std::string ShellQuote(const std::string& arg);

// Runs the built `liaison` command with `args` (already quoted for the shell).
CommandOutput RunLiaison(const std::string& args);

// Runs a `liaison` command that must succeed, saying nothing on stderr (a test
// failure otherwise); returns its stdout without the final newline.
std::string LiaisonOk(const std::string& args);

}  // namespace liaison::testing
