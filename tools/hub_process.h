// HubProcess: `liaison hub serve` run as a child process on 127.0.0.1 with a port the
// system picks, for the benchmarks that measure the daemon as offices meet it
// (bench_sync's many offices, bench_hostile). Its stdout gives the port; its log
// (stderr) goes to a file. Any failure ends the benchmark with a message.
//
// Thread-safety: one owner; the process is killed when the object is destroyed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace liaison::bench {

class HubProcess {
 public:
  // Runs `liaison` (a path) as `hub serve --db=DB --listen=127.0.0.1:0 --pki=PKI`
  // followed by `extra_args`; waits up to 10 s for it to say where it listens.
  HubProcess(const std::string& liaison, const std::string& db, const std::string& pki,
             const std::string& log_path, std::vector<std::string> extra_args = {});
  ~HubProcess();  // SIGKILL unless stopped
  HubProcess(const HubProcess&) = delete;
  HubProcess& operator=(const HubProcess&) = delete;

  std::uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // The process's resident memory now (VmRSS) and at its peak so far (VmHWM), in MiB.
  double ResidentMiB() const { return StatusMiB("VmRSS:"); }
  double PeakMiB() const { return StatusMiB("VmHWM:"); }

  // SIGTERM, then waits for the exit; fails unless it exits 0. Its CPU seconds.
  double Stop();

  // Lines of the hub's log that contain `word`.
  int CountLogLines(const std::string& word) const;

 private:
  [[noreturn]] void Abandon(const std::string& what) const;
  double StatusMiB(const std::string& field) const;
  void ReadPort();

  std::string log_path_;
  pid_t pid_ = -1;
  int stdout_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace liaison::bench
