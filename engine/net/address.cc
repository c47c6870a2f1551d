// HOST:PORT parsing (address.h).
#include "net/address.h"

#include <charconv>

namespace liaison::net {

Result<HostPort> ParseHostPort(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("address \"" + text + "\": " + why + " (expected HOST:PORT)");
  };
  std::size_t colon = text.rfind(':');
  if (colon == std::string::npos) return bad("no port");
  HostPort out;
  out.host = text.substr(0, colon);
  if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']') {
    out.host = out.host.substr(1, out.host.size() - 2);
  } else if (out.host.find(':') != std::string::npos) {
    return bad("an IPv6 host goes in brackets");
  }
  if (out.host.empty()) return bad("no host");
  const std::string port = text.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535) {
    return bad("port must be a number from 0 to 65535");
  }
  out.port = static_cast<std::uint16_t>(value);
  return out;
}

std::string FormatHostPort(const std::string& host, std::uint16_t port) {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace liaison::net
