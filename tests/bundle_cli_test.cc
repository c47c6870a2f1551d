// `liaison export`, `liaison import` and `liaison vector`, run as an office clerk runs
// them: two replicas made with `liaison init`, written with the domain commands and
// the sqlite3 shell, exchanging bundle files until their digests are equal. A damaged
// bundle is refused with one line on stderr, a non-zero exit, and no change at all.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "support/temp_dir.h"

namespace liaison {
namespace {

using testing::CommandOutput;
using testing::LiaisonOk;
using testing::RunLiaison;
using testing::RunCommand;
using testing::ShellQuote;
using testing::TempDir;

class BundleCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Ok("init --db " + Q(a_) + " --office city");
    Ok("init --db " + Q(b_) + " --office city");
  }

  static std::string Q(const std::string& s) { return ShellQuote(s); }

  CommandOutput Run(const std::string& args) { return RunLiaison(args); }
  std::string Ok(const std::string& args) { return LiaisonOk(args); }

  void Sql(const std::string& db, const std::string& sql) {
    CommandOutput r = RunCommand("/usr/bin/sqlite3 -bail " + Q(db), sql);
    ASSERT_EQ(r.exit_code, 0) << sql << "\n" << r.err;
  }

  std::string Digest(const std::string& db) { return Ok("digest --db " + Q(db)); }
  std::string Changes(const std::string& db) { return Ok("changes --db " + Q(db) + " --json"); }

  // Exports what `to` lacks from `from` and imports it; returns import's summary.
  std::string Carry(const std::string& from, const std::string& to, const std::string& file) {
    Ok("export --db " + Q(from) + " --out " + Q(file) + " --since \"$(" + LIAISON_BIN +
       " vector --db " + Q(to) + ")\"");
    return Ok("import --db " + Q(to) + " " + Q(file));
  }

  TempDir dir_;
  std::string a_ = dir_.File("a.db");
  std::string b_ = dir_.File("b.db");
};

TEST_F(BundleCliTest, ExportImportBothWaysGivesEqualDigests) {
  Ok("office add --db " + Q(a_) + " --id city --name 'City (市人大常委会)' --kind city");
  Ok("deputy add --db " + Q(a_) + " --name 'Zhang Wei (张伟)' --level city --office city");
  std::string summary = Carry(a_, b_, dir_.File("a-to-b.bundle"));
  EXPECT_EQ(summary, "imported " + dir_.File("a-to-b.bundle") +
                         ": 2 received, 2 applied, 0 duplicates, 0 conflicts\nunsigned bundle");
  EXPECT_EQ(Digest(a_), Digest(b_));

  // B writes with the sqlite3 shell; A with a domain command; then both ways.
  Sql(b_, "UPDATE offices SET name = 'City Office' WHERE id = 'city';");
  Ok("office add --db " + Q(a_) +
     " --id town-a --name 'Qingshan (青山镇)' --kind town "
     "--parent city");
  Carry(b_, a_, dir_.File("b-to-a.bundle"));
  Carry(a_, b_, dir_.File("a-to-b-2.bundle"));
  EXPECT_EQ(Digest(a_), Digest(b_));
  EXPECT_EQ(Ok("vector --db " + Q(a_)), Ok("vector --db " + Q(b_)));

  // Nothing new: an empty bundle, and importing it again changes nothing.
  std::string again = Carry(a_, b_, dir_.File("empty.bundle"));
  EXPECT_EQ(again, "imported " + dir_.File("empty.bundle") +
                       ": 0 received, 0 applied, 0 duplicates, 0 conflicts\nunsigned bundle");
}

TEST_F(BundleCliTest, ACorruptedBundleIsRefusedAndChangesNothing) {
  Ok("office add --db " + Q(a_) + " --id city --name 'City' --kind city");
  Ok("office add --db " + Q(b_) + " --id town-b --name 'Town B' --kind town");
  std::string file = dir_.File("x.bundle");
  Ok("export --db " + Q(a_) + " --out " + Q(file));
  std::string bytes;
  {
    std::ifstream in(file, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GT(bytes.size(), 100u);
  std::string digest = Digest(b_), changes = Changes(b_), vector = Ok("vector --db " + Q(b_));

  struct Case {
    std::string name, bytes, message;
  };
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x20;
  std::string newer = bytes;
  newer[8] = 9;
  for (const Case& c : {
           Case{"truncated", bytes.substr(0, 100), "truncated bundle (record 1, byte 100)"},
           Case{"flipped", flipped, "corrupt bundle"},
           Case{"empty", "", "not a bundle (the file is empty)"},
           Case{"foreign", "SQLite format 3", "not a bundle"},
           Case{"newer", newer, "bundle format version 9 is newer than this liaison supports"},
       }) {
    std::string bad = dir_.File(c.name + ".bundle");
    {
      std::ofstream out(bad, std::ios::binary);
      out << c.bytes;
    }
    CommandOutput r = Run("import --db " + Q(b_) + " " + Q(bad));
    EXPECT_NE(r.exit_code, 0) << c.name;
    EXPECT_EQ(r.err.rfind("liaison: import " + bad + ": ", 0), 0u) << c.name << ": " << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.name << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << c.name << ": " << r.err;
    EXPECT_EQ(Digest(b_), digest) << c.name;
    EXPECT_EQ(Changes(b_), changes) << c.name;
    EXPECT_EQ(Ok("vector --db " + Q(b_)), vector) << c.name;
  }
}

TEST_F(BundleCliTest, BadArgumentsAreRefused) {
  CommandOutput r =
      Run("export --db " + Q(a_) + " --out " + Q(dir_.File("x.bundle")) + " --since nonsense");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("bad version vector"), std::string::npos) << r.err;
  r = Run("import --db " + Q(a_) + " " + Q(dir_.File("missing.bundle")));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err.rfind("liaison: import ", 0), 0u) << r.err;
  r = Run("export --db " + Q(a_) + " --out " + Q(dir_.File("x.bundle")) + " --cert " +
          Q(dir_.File("a.crt")));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--cert and --key go together"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.File("x.bundle")));
}

// An office with no network signs its bundle; the hub takes it only with the CA, and
// then the auditors' verify proves every one of its changes came from that office.
TEST(BundleSignatureCliTest, TheHubImportsASignedBundleAndVerifyProvesItsOffice) {
  TempDir dir;
  auto q = [](const std::string& s) { return ShellQuote(s); };
  const std::string pki = dir.File("pki"), hub = dir.File("city.db"), office = dir.File("a.db");
  const std::string bundle = dir.File("a.bundle");
  LiaisonOk("pki init-ca " + q(pki));
  LiaisonOk("pki issue " + q(pki) + " --office town-a");
  LiaisonOk("init --hub --db " + q(hub) + " --office city");
  LiaisonOk("office add --db " + q(hub) + " --id town-a --name Qingshan --kind town");
  // The office gets its offices row from the city office, on the same USB stick.
  LiaisonOk("init --db " + q(office) + " --office town-a");
  LiaisonOk("export --db " + q(hub) + " --out " + q(dir.File("city.bundle")));
  LiaisonOk("import --db " + q(office) + " " + q(dir.File("city.bundle")));
  LiaisonOk("deputy add --db " + q(office) + " --name 'Zhang Wei' --level town");
  LiaisonOk("deputy add --db " + q(office) + " --name 'Li Na' --level town");
  EXPECT_NE(LiaisonOk("export --db " + q(office) + " --out " + q(bundle) + " --cert " +
                      q(pki + "/offices/town-a.crt") + " --key " + q(pki + "/offices/town-a.key"))
                .find("signed"),
            std::string::npos);

  const std::string before = LiaisonOk("digest --db " + q(hub));
  CommandOutput r = RunLiaison("import --db " + q(hub) + " " + q(bundle));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("only with the CA"), std::string::npos) << r.err;
  EXPECT_EQ(LiaisonOk("digest --db " + q(hub)), before);

  std::string out = LiaisonOk("import --db " + q(hub) + " " + q(bundle) + " --pki " + q(pki));
  EXPECT_NE(out.find("signed by town-a (certificate 0x03, issued by the CA): 2 of its own changes"),
            std::string::npos)
      << out;
  out = LiaisonOk("audit verify " + q(hub));
  EXPECT_NE(out.find("2 of 2 changes from offices carry the signature of the office"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace liaison
