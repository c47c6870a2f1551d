// HOST:PORT as --listen and --hub take it (net/address.h).
#include "net/address.h"

#include <gtest/gtest.h>

namespace liaison::net {
namespace {

TEST(NetAddress, ParsesNamesAddressesAndBracketedIpv6) {
  struct Case {
    const char* text;
    const char* host;
    std::uint16_t port;
  };
  for (const Case& c :
       {Case{"127.0.0.1:7443", "127.0.0.1", 7443}, Case{"localhost:0", "localhost", 0},
        Case{"hub.city.example:65535", "hub.city.example", 65535},
        Case{"[::1]:7443", "::1", 7443}}) {
    Result<HostPort> parsed = ParseHostPort(c.text);
    ASSERT_TRUE(parsed.ok()) << c.text << ": " << parsed.status().message();
    EXPECT_EQ(parsed->host, c.host);
    EXPECT_EQ(parsed->port, c.port);
    EXPECT_EQ(FormatHostPort(parsed->host, parsed->port), c.text);
  }
}

TEST(NetAddress, RefusesWhatIsNotHostColonPort) {
  for (const char* text : {"", "hub", "hub:", ":7443", "hub:65536", "hub:-1", "hub:7443x",
                           "::1:7443", "[]:7443", "hub: 7443"}) {
    Result<HostPort> parsed = ParseHostPort(text);
    EXPECT_FALSE(parsed.ok()) << text;
    if (!parsed.ok()) {
      EXPECT_NE(parsed.status().message().find("HOST:PORT"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace liaison::net
