// Hub daemons for the network tests: ServeHub on a thread of the test process
// (HubThread), or `liaison hub serve` as a child process (HubProcess) for tests that
// send it signals or kill it. Both listen on 127.0.0.1 with a port the system picks.
//
// Thread-safety: a runner belongs to the test's thread; HubThread::log() may be read
// while the hub runs.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "liaison/net.h"

namespace liaison::testing {

// A std::ostream whose text may be read from another thread.
class SharedLog : public std::streambuf {
 public:
  std::string str() const;

 protected:
  int_type overflow(int_type c) override;
  std::streamsize xsputn(const char* s, std::streamsize n) override;

 private:
  mutable std::mutex mu_;
  std::string text_;
};

class HubThread {
 public:
  // Runs ServeHub(options) with listen = HOST:0, a stop flag and a log of its own;
  // waits (at most 10 s) until it listens or fails to start.
  explicit HubThread(HubServerOptions options, std::string host = "127.0.0.1");
  ~HubThread();
  HubThread(const HubThread&) = delete;
  HubThread& operator=(const HubThread&) = delete;

  // 0 when the hub did not start (see Stop() for why).
  std::uint16_t port() const { return port_; }
  std::string address() const { return host_ + ":" + std::to_string(port_); }
  std::string log() const { return log_buf_.str(); }
  // Asks the hub to stop, waits for ServeHub to return, and returns its status.
  Status Stop();

 private:
  const std::string host_;
  SharedLog log_buf_;
  std::ostream log_{&log_buf_};
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool ready_ = false;  // listening, or ServeHub returned
  std::uint16_t port_ = 0;
  std::optional<Status> status_;
  std::thread thread_;
};

class HubProcess {
 public:
  // Runs `liaison hub serve --listen 127.0.0.1:0 ARGS...` with stderr to `log_path`;
  // waits (at most 10 s) for its "listening on" line.
  HubProcess(const std::vector<std::string>& args, const std::string& log_path);
  ~HubProcess();  // kills it (SIGKILL) if it still runs
  HubProcess(const HubProcess&) = delete;
  HubProcess& operator=(const HubProcess&) = delete;

  std::uint16_t port() const { return port_; }  // 0 when it did not start
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  pid_t pid() const { return pid_; }
  void Signal(int signal);
  // Waits up to `limit` for the process to end: its exit code, 128 + the signal that
  // ended it, or nullopt when it still runs.
  std::optional<int> Wait(std::chrono::milliseconds limit);

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::uint16_t port_ = 0;
  std::optional<int> exit_;
};

}  // namespace liaison::testing
