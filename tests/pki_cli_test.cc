// `liaison pki`, run as the city office runs it: create the CA, issue, revoke and
// re-issue office certificates, list them. Each command prints one line per file it
// wrote; a refused one prints one line on stderr, exits non-zero and writes nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace liaison {
namespace {

using testing::CommandOutput;
using testing::FilesUnder;
using testing::LiaisonOk;
using testing::RunLiaison;
using testing::ShellQuote;
using testing::TempDir;

// Dates in output vary: "valid until 2028-03-02T10:00:00Z" -> "valid until DATE".
// (No std::regex: GCC 12 warns falsely inside it under the sanitizers.)
std::string WithoutDates(const std::string& text) {
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:ddZ";
  auto is_date_at = [&](size_t at) {
    if (at + kShape.size() > text.size()) return false;
    for (size_t i = 0; i < kShape.size(); ++i) {
      const char c = text[at + i];
      const bool ok = kShape[i] == 'd' ? (c >= '0' && c <= '9') : c == kShape[i];
      if (!ok) return false;
    }
    return true;
  };
  std::string out;
  for (size_t i = 0; i < text.size();) {
    if (is_date_at(i)) {
      out += "DATE";
      i += kShape.size();
    } else {
      out += text[i++];
    }
  }
  return out;
}

class PkiCliTest : public ::testing::Test {
 protected:
  static std::string Q(const std::string& s) { return ShellQuote(s); }

  // Runs a command that must fail; checks that it said one line and wrote nothing.
  std::string Refused(const std::string& args) {
    std::vector<std::string> before = FilesUnder(dir_.path());
    CommandOutput r = RunLiaison(args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_EQ(r.out, "") << args;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(FilesUnder(dir_.path()), before) << args;
    if (!r.err.empty() && r.err.back() == '\n') r.err.pop_back();
    return r.err;
  }

  void InitCa() { LiaisonOk("pki init-ca " + Q(pki_)); }

  TempDir dir_;
  std::string pki_ = dir_.File("pki");
};

TEST_F(PkiCliTest, InitCaSaysWhatItWrote) {
  std::string out = LiaisonOk("pki init-ca " + Q(pki_) + " --hub-name hub.city.example --days 30");
  EXPECT_EQ(WithoutDates(out),
            "wrote " + pki_ + "/ca.key\n" + "wrote " + pki_ +
                "/ca.crt (serial 0x01, valid until DATE)\n" + "wrote " + pki_ +
                "/ca.crl (no revoked certificates)\n" + "wrote " + pki_ + "/hub.key\n" + "wrote " +
                pki_ + "/hub.crt (serial 0x02, valid until DATE)\n" + "wrote " + pki_ +
                "/hub-office (the hub's office, city: no office certificate is issued for it)\n" +
                "wrote " + pki_ + "/serial");
  EXPECT_EQ(FilesUnder(pki_),
            (std::vector<std::string>{"ca.crl", "ca.crt", "ca.key", "hub-office", "hub.crt",
                                      "hub.key", "offices", "serial"}));
}

TEST_F(PkiCliTest, IssueRevokeReissueAndList) {
  InitCa();
  EXPECT_EQ(LiaisonOk("pki list " + Q(pki_)), "no office certificates");
  EXPECT_EQ(WithoutDates(LiaisonOk("pki issue " + Q(pki_) + " --office town-a")),
            "wrote " + pki_ + "/offices/town-a.key\n" + "wrote " + pki_ +
                "/offices/town-a.crt (serial 0x03, valid until DATE)");
  LiaisonOk("pki issue " + Q(pki_) + " --office town-b --days 10");
  EXPECT_EQ(WithoutDates(LiaisonOk("pki list " + Q(pki_))),
            "office  serial  not after             revoked\n"
            "town-a  0x03    DATE  no\n"
            "town-b  0x04    DATE  no");

  EXPECT_EQ(LiaisonOk("pki revoke " + Q(pki_) + " --office town-a"),
            "wrote " + pki_ + "/ca.crl (revoked town-a, serial 0x03)");
  EXPECT_EQ(WithoutDates(LiaisonOk("pki list " + Q(pki_) + " --json")),
            R"([{"office":"town-a","serial":"0x03","not_after":"DATE","revoked":true},)"
            R"({"office":"town-b","serial":"0x04","not_after":"DATE","revoked":false}])");

  EXPECT_EQ(WithoutDates(LiaisonOk("pki issue " + Q(pki_) + " --office town-a")),
            "moved " + pki_ + "/offices/town-a.crt to " + pki_ +
                "/offices/retired/town-a.03.crt\n" + "wrote " + pki_ + "/offices/town-a.key\n" +
                "wrote " + pki_ + "/offices/town-a.crt (serial 0x05, valid until DATE)");
  EXPECT_EQ(WithoutDates(LiaisonOk("pki list " + Q(pki_))),
            "office  serial  not after             revoked\n"
            "town-a  0x05    DATE  no\n"
            "town-b  0x04    DATE  no");
}

TEST_F(PkiCliTest, ReissueIsRefusedUntilRevoked) {
  InitCa();
  LiaisonOk("pki issue " + Q(pki_) + " --office town-a");
  EXPECT_EQ(Refused("pki issue " + Q(pki_) + " --office town-a"),
            "liaison: office town-a already has a certificate (serial 0x03); revoke it first");
}

TEST_F(PkiCliTest, InitCaRefusesANonEmptyDirectory) {
  std::filesystem::create_directory(pki_);
  std::ofstream(pki_ + "/notes.txt") << "keep me";
  EXPECT_EQ(Refused("pki init-ca " + Q(pki_)),
            "liaison: " + pki_ + " exists and is not an empty directory");
}

TEST_F(PkiCliTest, IssueIntoADirectoryThatIsNotACaIsRefused) {
  std::filesystem::create_directory(pki_);
  EXPECT_EQ(Refused("pki issue " + Q(pki_) + " --office town-a"),
            "liaison: " + pki_ + " is not a certificate authority directory (no ca.crt)");
  EXPECT_EQ(Refused("pki list " + Q(pki_)),
            "liaison: " + pki_ + " is not a certificate authority directory (no ca.crt)");
}

TEST_F(PkiCliTest, InvalidOfficeIdIsRefused) {
  InitCa();
  EXPECT_EQ(Refused("pki issue " + Q(pki_) + " --office 'Town A'"),
            "liaison: invalid office id \"Town A\": use 1 to 64 characters of a-z, 0-9, '-', "
            "'_' and '.'");
  Refused("pki issue " + Q(pki_) + " --office ../escape");
  Refused("pki revoke " + Q(pki_) + " --office ../escape");
}

TEST_F(PkiCliTest, TheHubsNamesAreNeverIssuedAsAnOffice) {
  LiaisonOk("pki init-ca " + Q(pki_) + " --hub-office city-office");
  EXPECT_EQ(Refused("pki issue " + Q(pki_) + " --office city-office"),
            "liaison: 'city-office' is the hub's own office (" + pki_ +
                "/hub-office): an office certificate for it would write as the hub");
  EXPECT_EQ(Refused("pki issue " + Q(pki_) + " --office hub"),
            "liaison: 'hub' is the hub certificate's name, not an office's");
  // The default hub office is "city".
  LiaisonOk("pki init-ca " + Q(dir_.File("pki2")));
  Refused("pki issue " + Q(dir_.File("pki2")) + " --office city");
  LiaisonOk("pki issue " + Q(dir_.File("pki2")) + " --office town-a");
}

TEST_F(PkiCliTest, RevokingAnUnknownOfficeIsRefused) {
  InitCa();
  EXPECT_EQ(Refused("pki revoke " + Q(pki_) + " --office town-z"),
            "liaison: office town-z has no certificate in " + pki_);
}

TEST_F(PkiCliTest, BadDaysAndHubNamesAreRefused) {
  EXPECT_NE(Refused("pki init-ca " + Q(pki_) + " --days 0"), "");
  EXPECT_EQ(Refused("pki init-ca " + Q(pki_) + " --hub-name 'bad name'"),
            "liaison: hub name \"bad name\" is neither a DNS name nor an IP address");
  InitCa();
  EXPECT_NE(Refused("pki issue " + Q(pki_) + " --office town-a --days 40000"), "");
}

TEST_F(PkiCliTest, HubNamesMayBeRepeatedBeforeOrAfterTheDirectory) {
  LiaisonOk("pki init-ca --hub-name a.example --hub-name 10.0.0.5 " + Q(pki_));
  EXPECT_TRUE(std::filesystem::exists(pki_ + "/hub.crt"));
  // One value per --hub-name: a second word is not taken as a name.
  Refused("pki init-ca " + Q(dir_.File("other")) + " --hub-name a.example b.example");
}

}  // namespace
}  // namespace liaison
