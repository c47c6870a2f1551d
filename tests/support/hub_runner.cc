#include "support/hub_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>

extern char** environ;

namespace liaison::testing {
namespace {

constexpr std::chrono::seconds kStartLimit{10};

// The port in a "listening on HOST:PORT" line; 0 when there is none.
std::uint16_t ListeningPort(const std::string& text) {
  const std::string prefix = "listening on ";
  std::size_t at = text.find(prefix);
  std::size_t end = text.find('\n', at);
  if (at == std::string::npos || end == std::string::npos) return 0;
  std::string line = text.substr(at, end - at);
  return static_cast<std::uint16_t>(std::stoul(line.substr(line.rfind(':') + 1)));
}

}  // namespace

std::string SharedLog::str() const {
  std::lock_guard<std::mutex> lock(mu_);
  return text_;
}

SharedLog::int_type SharedLog::overflow(int_type c) {
  if (c != traits_type::eof()) {
    std::lock_guard<std::mutex> lock(mu_);
    text_ += static_cast<char>(c);
  }
  return traits_type::not_eof(c);
}

std::streamsize SharedLog::xsputn(const char* s, std::streamsize n) {
  std::lock_guard<std::mutex> lock(mu_);
  text_.append(s, static_cast<std::size_t>(n));
  return n;
}

HubThread::HubThread(HubServerOptions options, std::string host) : host_(std::move(host)) {
  options.listen = host_ + ":0";
  options.stop = &stop_;
  options.log = &log_;
  options.on_listening = [this](std::uint16_t port) {
    std::lock_guard<std::mutex> lock(mu_);
    port_ = port;
    ready_ = true;
    cv_.notify_all();
  };
  thread_ = std::thread([this, options] {
    Status status = ServeHub(options);
    std::lock_guard<std::mutex> lock(mu_);
    status_ = status;
    ready_ = true;
    cv_.notify_all();
  });
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, kStartLimit, [this] { return ready_; });
}

HubThread::~HubThread() { (void)Stop(); }

Status HubThread::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  return status_.value_or(Status::Internal("the hub thread did not return"));
}

HubProcess::HubProcess(const std::vector<std::string>& args, const std::string& log_path) {
  std::array<int, 2> out{};
  if (::pipe2(out.data(), O_CLOEXEC) != 0) return;
  std::vector<std::string> argv_text{LIAISON_BIN, "hub", "serve", "--listen", "127.0.0.1:0"};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  int spawned = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  stdout_fd_ = out[0];
  if (spawned != 0) {
    pid_ = -1;
    return;
  }
  // Read stdout until the "listening on" line, the child's exit or the time limit.
  std::string text;
  auto deadline = std::chrono::steady_clock::now() + kStartLimit;
  while (port_ == 0 && std::chrono::steady_clock::now() < deadline) {
    pollfd p{stdout_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    std::array<char, 256> buf{};
    ssize_t n = ::read(stdout_fd_, buf.data(), buf.size());
    if (n <= 0) break;
    text.append(buf.data(), static_cast<std::size_t>(n));
    port_ = ListeningPort(text);
  }
}

HubProcess::~HubProcess() {
  if (pid_ > 0 && !exit_) {
    ::kill(pid_, SIGKILL);
    (void)Wait(std::chrono::seconds(10));
  }
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
}

void HubProcess::Signal(int signal) {
  if (pid_ > 0 && !exit_) ::kill(pid_, signal);
}

std::optional<int> HubProcess::Wait(std::chrono::milliseconds limit) {
  if (exit_ || pid_ <= 0) return exit_;
  auto deadline = std::chrono::steady_clock::now() + limit;
  do {
    int status = 0;
    pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exit_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_;
    }
    ::usleep(10'000);
  } while (std::chrono::steady_clock::now() < deadline);
  return std::nullopt;
}

}  // namespace liaison::testing
