#include "support/temp_dir.h"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
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

CommandOutput RunLiaison(const std::string& args) {
  std::string line = LIAISON_BIN;
  line += ' ';
  line += args;
  return RunCommand(line);
}

std::string LiaisonOk(const std::string& args) {
  CommandOutput r = RunLiaison(args);
  EXPECT_EQ(r.exit_code, 0) << "liaison " << args << "\n" << r.err;
  EXPECT_EQ(r.err, "") << "liaison " << args;
  if (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
  return r.out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::vector<std::string> FilesUnder(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    out.push_back(std::filesystem::relative(entry.path(), dir).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace liaison::testing
