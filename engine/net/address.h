// HOST:PORT as given to --listen and --hub. Internal to engine/net/.
//
// Accepted: "name:port", "1.2.3.4:port", "[::1]:port"; the port is 0..65535 (0 only
// makes sense for listening: the system picks a free port).
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "liaison/status.h"

namespace liaison::net {

struct HostPort {
  std::string host;  // without brackets
  std::uint16_t port = 0;
};

Result<HostPort> ParseHostPort(const std::string& text);

// "host:port", with brackets around an IPv6 host.
std::string FormatHostPort(const std::string& host, std::uint16_t port);

}  // namespace liaison::net
