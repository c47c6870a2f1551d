// HubProcess (hub_process.h).
#include "hub_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

extern char** environ;

namespace liaison::bench {
namespace {

constexpr auto kStartLimit = std::chrono::seconds(10);

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "bench: the hub process: %s\n", what.c_str());
  std::exit(1);
}

}  // namespace

HubProcess::HubProcess(const std::string& liaison, const std::string& db, const std::string& pki,
                       const std::string& log_path, std::vector<std::string> extra_args)
    : log_path_(log_path) {
  int out[2];
  if (::pipe(out) != 0) Fail("pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_path_.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> args = {liaison, "hub", "serve", "--db=" + db, "--listen=127.0.0.1:0",
                                   "--pki=" + pki};
  for (std::string& a : extra_args) args.push_back(std::move(a));
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int spawned =
      ::posix_spawn(&pid_, liaison.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  stdout_ = out[0];
  if (spawned != 0) {
    pid_ = -1;
    Fail("cannot run " + liaison + ": " + std::strerror(spawned));
  }
  ReadPort();
}

HubProcess::~HubProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (stdout_ >= 0) ::close(stdout_);
}

double HubProcess::Stop() {
  ::kill(pid_, SIGTERM);
  int status = 0;
  rusage usage{};
  if (::wait4(pid_, &status, 0, &usage) != pid_) Fail("wait for it");
  pid_ = -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    Fail("it did not exit cleanly after SIGTERM; its log: " + log_path_);
  }
  auto secs = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec * 1e-6; };
  return secs(usage.ru_utime) + secs(usage.ru_stime);
}

int HubProcess::CountLogLines(const std::string& word) const {
  std::ifstream log(log_path_);
  int n = 0;
  for (std::string line; std::getline(log, line);) n += line.find(word) != std::string::npos;
  return n;
}

void HubProcess::Abandon(const std::string& what) const {
  if (pid_ > 0) ::kill(pid_, SIGKILL);
  Fail(what);
}

double HubProcess::StatusMiB(const std::string& field) const {
  std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(field, 0) == 0) return std::atof(line.c_str() + field.size()) / 1024.0;
  }
  Abandon("no " + field + " in /proc/" + std::to_string(pid_) + "/status");
}

// Reads stdout until "listening on HOST:PORT".
void HubProcess::ReadPort() {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + kStartLimit;
  std::string text;
  while (text.find('\n') == std::string::npos) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd p{stdout_, POLLIN, 0};
    char buf[256];
    ssize_t got = 0;
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0 ||
        (got = ::read(stdout_, buf, sizeof buf)) <= 0) {
      Abandon("it did not say where it listens within 10 s; its log: " + log_path_);
    }
    text.append(buf, static_cast<size_t>(got));
  }
  const size_t colon = text.rfind(':', text.find('\n'));
  if (text.rfind("listening on ", 0) != 0 || colon == std::string::npos) {
    Abandon("unexpected first line: " + text + "; its log: " + log_path_);
  }
  port_ = static_cast<std::uint16_t>(std::atoi(text.c_str() + colon + 1));
}

}  // namespace liaison::bench
