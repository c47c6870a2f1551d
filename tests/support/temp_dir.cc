#include "support/temp_dir.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace liaison::testing {

TempDir::TempDir() {
  std::string templ = (std::filesystem::temp_directory_path() / "liaison-test-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string ShellQuote(const std::string& arg) {
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

CommandOutput RunCommand(const std::string& command_line, const std::string& stdin_text) {
  TempDir io;
  const std::string in = io.File("in"), out = io.File("out"), err = io.File("err");
  std::ofstream(in) << stdin_text;
  std::string full = "(" + command_line + ") <" + ShellQuote(in) + " >" + ShellQuote(out) +
                     " 2>" + ShellQuote(err);
  int status = std::system(full.c_str());
  CommandOutput result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  auto slurp = [](const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  };
  result.out = slurp(out);
  result.err = slurp(err);
  return result;
}

}  // namespace liaison::testing
