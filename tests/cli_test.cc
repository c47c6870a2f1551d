// The domain commands of `liaison`, run as a person runs them: the built binary in a
// shell, against replica files in a temporary directory. Every refused command must
// exit non-zero with one line on stderr naming the problem, and leave the replica
// exactly as it was (same digest, same change log).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "liaison/store.h"
#include "support/temp_dir.h"

namespace liaison {
namespace {

using testing::CommandOutput;
using testing::LiaisonOk;
using testing::RunLiaison;
using testing::RunCommand;
using testing::ShellQuote;
using testing::TempDir;

// Runs `sql` (with two parameters) on an in-memory SQLite; returns the first value.
std::string QueryJson(const char* sql, const std::string& json, const std::string& path) {
  Result<Db> db = Db::Open(":memory:", OpenOptions{.create = true});
  EXPECT_TRUE(db.ok()) << db.status().message();
  Result<Stmt> stmt = db->Prepare(sql);
  EXPECT_TRUE(stmt.ok()) << stmt.status().message();
  stmt->Bind(1, std::string_view(json)).Bind(2, std::string_view(path));
  Result<bool> row = stmt->Step();
  EXPECT_TRUE(row.ok()) << row.status().message() << " in " << json;
  return stmt->Text(0);
}

// The value at `path` ("$[0].name") of a JSON text, parsed by SQLite's JSON functions;
// "" for JSON null or a missing key.
std::string JsonGet(const std::string& json, const std::string& path) {
  return QueryJson("SELECT json_extract(?, ?)", json, path);
}

// The length of the array at `path`; -1 when it is not an array.
std::int64_t JsonLength(const std::string& json, const std::string& path = "$") {
  std::string n = QueryJson("SELECT json_array_length(?, ?)", json, path);
  return n.empty() ? -1 : std::stoll(n);
}

class CliTest : public ::testing::Test {
 protected:
  // A town replica for town-a with the offices it needs.
  void SetUp() override {
    Ok("init --db " + Q(db_) + " --office town-a");
    Ok("office add " + DbArg() + " --id city --name 'City (市人大常委会)' --kind city");
    Ok("office add " + DbArg() +
       " --id town-a --name 'Qingshan Town (青山镇)' --kind town "
       "--parent city");
    Ok("office add " + DbArg() +
       " --id sub-b --name 'Hexi Subdistrict (河西街道)' "
       "--kind subdistrict --parent city");
  }

  static std::string Q(const std::string& s) { return ShellQuote(s); }
  std::string DbArg() const { return "--db " + Q(db_); }

  CommandOutput Run(const std::string& args) { return RunLiaison(args); }
  std::string Ok(const std::string& args) { return LiaisonOk(args); }

  // What a user compares to see whether anything changed.
  struct Snapshot {
    std::string digest;
    std::string changes;
  };
  Snapshot Snap() { return {Ok("digest " + DbArg()), Ok("changes " + DbArg() + " --json")}; }

  // Runs a command that must be refused with exactly `message`, changing nothing.
  void ExpectRefused(const std::string& args, const std::string& message) {
    Snapshot before = Snap();
    CommandOutput r = Run(args);
    EXPECT_NE(r.exit_code, 0) << "liaison " << args;
    EXPECT_EQ(r.err, "liaison: " + message + "\n") << "liaison " << args;
    EXPECT_EQ(r.out, "") << "liaison " << args;
    Snapshot after = Snap();
    EXPECT_EQ(before.digest, after.digest) << "data changed by refused: liaison " << args;
    EXPECT_EQ(before.changes, after.changes) << "change log grew by refused: liaison " << args;
  }

  std::string AddDeputy(const std::string& name, const std::string& level,
                        const std::string& office = "town-a") {
    return Ok("deputy add " + DbArg() + " --name " + Q(name) + " --level " + level + " --office " +
              office);
  }
  std::string AddVoter(const std::string& name, const std::string& category,
                       const std::string& extra = "") {
    return Ok("voter add " + DbArg() + " --name " + Q(name) + " --category " + category + " " +
              extra);
  }
  std::string AddLink(const std::string& from, const std::string& to) {
    return Ok("link add " + DbArg() + " --from " + from + " --to " + to +
              " --started-on 2026-03-01");
  }

  TempDir dir_;
  std::string db_ = dir_.File("town-a.db");
};

// ---- refusals: each names the problem and changes nothing

TEST_F(CliTest, InitRefusesAnExistingFile) {
  Snapshot before = Snap();
  CommandOutput r = Run("init " + DbArg() + " --office town-a");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err, "liaison: replica " + db_ + " already exists\n");
  Snapshot after = Snap();
  EXPECT_EQ(before.digest, after.digest);
  EXPECT_EQ(before.changes, after.changes);
}

TEST_F(CliTest, MissingDatabaseFileIsRefusedAndNotCreated) {
  const std::string missing = dir_.File("nowhere.db");
  for (const std::string& args :
       {"deputy list --db " + Q(missing),
        "deputy add --db " + Q(missing) + " --name 'Zhang Wei' --level city",
        "voter add --db " + Q(missing) + " --name 'Li Na' --category woman",
        "activity delete --db " + Q(missing) + " --id abc"}) {
    CommandOutput r = Run(args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_EQ(r.err, "liaison: replica " + missing + " does not exist\n") << args;
    EXPECT_FALSE(std::filesystem::exists(missing)) << args;
  }
}

TEST_F(CliTest, UnknownOfficeIsRefused) {
  ExpectRefused("deputy add " + DbArg() + " --name 'Zhang Wei' --level town --office town-x",
                "unknown office 'town-x'");
  ExpectRefused("voter add " + DbArg() + " --name 'Li Na' --category woman --office town-x",
                "unknown office 'town-x'");
  ExpectRefused(
      "office add " + DbArg() + " --id town-c --name 'Town C' --kind town --parent nowhere",
      "unknown office 'nowhere'");
  ExpectRefused("office edit " + DbArg() + " --id town-x --name 'X'", "no office 'town-x'");
}

TEST_F(CliTest, UnknownDeputyIsRefused) {
  ExpectRefused(
      "report add " + DbArg() + " --deputy nobody --reported-on 2026-04-02 --topic 'Canal repairs'",
      "unknown deputy 'nobody'");
  ExpectRefused("commitment add " + DbArg() + " --deputy nobody --kind commitment --title 'Lights'",
                "unknown deputy 'nobody'");
  ExpectRefused("deputy edit " + DbArg() + " --id abc --sector farming", "no deputy 'abc'");
  ExpectRefused("deputy delete " + DbArg() + " --id abc", "no deputy 'abc'");
}

TEST_F(CliTest, AttendeeMustBeADeputyAndNothingIsWrittenOtherwise) {
  std::string deputy = AddDeputy("Zhang Wei (张伟)", "town");
  std::string voter = AddVoter("Li Na (李娜)", "woman");
  ExpectRefused("activity add " + DbArg() + " --kind study --held-on 2026-03-12 --title 'Study' " +
                    "--attendee " + deputy + " --attendee " + voter,
                "unknown deputy '" + voter + "'");
  EXPECT_EQ(Ok("activity list " + DbArg() + " --json"), "[]");
}

TEST_F(CliTest, MalformedDateIsRefused) {
  for (const std::string date : {"2026-02-30", "2026-2-3", "yesterday", "2026-13-01", ""}) {
    ExpectRefused(
        "activity add " + DbArg() + " --kind study --held-on " + Q(date) + " --title Study",
        "malformed date '" + date + "' for --held-on: use YYYY-MM-DD");
  }
  // 2028 is a leap year: 29 February exists.
  EXPECT_EQ(
      Ok("activity add " + DbArg() + " --kind study --held-on 2028-02-29 --title Study").size(),
      32u);
}

TEST_F(CliTest, UnknownCategoryIsRefused) {
  ExpectRefused("voter add " + DbArg() + " --name 'Li Na' --category student",
                "unknown category 'student': use one of worker, farmer, woman, cadre, "
                "intellectual, other");
  ExpectRefused("deputy add " + DbArg() + " --name 'Zhang Wei' --level county",
                "unknown level 'county': use one of city, town");
  ExpectRefused("voter list " + DbArg() + " --category student",
                "unknown category 'student': use one of worker, farmer, woman, cadre, "
                "intellectual, other");
}

TEST_F(CliTest, LinkThatExistsIsRefused) {
  std::string town = AddDeputy("Zhang Wei", "town");
  std::string voter = AddVoter("Li Na", "woman");
  AddLink(town, voter);
  ExpectRefused("link add " + DbArg() + " --from " + town + " --to " + voter,
                "link " + town + ">" + voter + " already exists");
}

TEST_F(CliTest, LinkMustFollowTheChain) {
  std::string city = AddDeputy("Liu Yang", "city", "city");
  std::string town = AddDeputy("Zhang Wei", "town");
  std::string rep = AddVoter("Chen Jing", "cadre", "--office sub-b --representative");
  std::string voter = AddVoter("Li Na", "woman");
  std::string voter2 = AddVoter("Wang Lei", "worker");
  ExpectRefused("link add " + DbArg() + " --from " + city + " --to " + voter,
                "a city-level deputy links to a town-level deputy or a voter representative, "
                "and '" +
                    voter + "' is neither");
  ExpectRefused("link add " + DbArg() + " --from " + town + " --to " + rep,
                "a town-level deputy or voter representative links to voters who are not "
                "representatives, and '" +
                    rep + "' is not such a voter");
  ExpectRefused("link add " + DbArg() + " --from " + voter + " --to " + voter2,
                "a link starts at a city-level deputy, a town-level deputy or a voter "
                "representative, and '" +
                    voter + "' is a voter");
  ExpectRefused("link add " + DbArg() + " --from ghost --to " + voter,
                "unknown deputy or voter 'ghost'");
  // The chain itself is accepted.
  AddLink(city, town);
  AddLink(city, rep);
  AddLink(town, voter);
  AddLink(rep, voter2);
  std::string links = Ok("link list " + DbArg() + " --json");
  EXPECT_EQ(JsonLength(links), 4);
}

TEST_F(CliTest, LinkEndMustNotPrecedeItsStart) {
  std::string town = AddDeputy("Zhang Wei", "town");
  std::string voter = AddVoter("Li Na", "woman");
  AddLink(town, voter);
  ExpectRefused(
      "link end " + DbArg() + " --from " + town + " --to " + voter + " --ended-on 2026-02-01",
      "--ended-on 2026-02-01 is before the link started (2026-03-01)");
  ExpectRefused("link end " + DbArg() + " --from " + town + " --to nobody --ended-on 2026-12-01",
                "no link '" + town + ">nobody'");
}

TEST_F(CliTest, TownDeputyInASubdistrictIsRefused) {
  ExpectRefused("deputy add " + DbArg() + " --name 'Zhang Wei' --level town --office sub-b",
                "subdistrict office sub-b has no town-level deputies: record a voter "
                "representative instead (liaison voter add --representative)");
  std::string deputy = AddDeputy("Zhang Wei", "town");
  ExpectRefused("deputy edit " + DbArg() + " --id " + deputy + " --office sub-b",
                "subdistrict office sub-b has no town-level deputies: record a voter "
                "representative instead (liaison voter add --representative)");
  ExpectRefused("office edit " + DbArg() + " --id town-a --kind subdistrict",
                "office town-a has 1 town-level deputies: only a town office has them");
}

TEST_F(CliTest, ScoreIsCheckedAgainstItsCriterionAndScope) {
  std::string criterion = Ok("criterion add " + DbArg() +
                             " --year 2026 --code A1 --title 'Quarterly meetings' --max-points 20");
  ExpectRefused("score add " + DbArg() + " --office town-a --criterion " + criterion +
                    " --assessment self --points 21 --assessor 'Wang Fang'",
                "--points 21 is more than criterion A1 allows (20)");
  ExpectRefused("score add " + DbArg() + " --office town-a --criterion " + criterion +
                    " --assessment city --points 15 --assessor 'Wang Fang'",
                "city scores are recorded at the hub (the city office), not by office town-a");
  ExpectRefused("score add " + DbArg() + " --office sub-b --criterion " + criterion +
                    " --assessment self --points 15 --assessor 'Wang Fang'",
                "office town-a records only its own self-assessment, not sub-b's");
  ExpectRefused("score add " + DbArg() + " --office town-a --criterion nope" +
                    " --assessment self --points 15 --assessor 'Wang Fang'",
                "unknown criterion 'nope'");
  ExpectRefused("criterion add " + DbArg() + " --year 1999 --code A2 --title T --max-points 5",
                "--year must be between 2000 and 2100, not 1999");
  ExpectRefused("criterion add " + DbArg() + " --year 2026 --code A2 --title T --max-points ten",
                "malformed number 'ten' for --max-points: use a whole number");
  Ok("score add " + DbArg() + " --office town-a --criterion " + criterion +
     " --assessment self --points 18 --assessor 'Wang Fang'");
  ExpectRefused("score add " + DbArg() + " --office town-a --criterion " + criterion +
                    " --assessment self --points 17 --assessor 'Wang Fang'",
                "score town-a/" + criterion + "/self already exists");
  ExpectRefused(
      "criterion edit " + DbArg() + " --id " + criterion + " --max-points 10",
      "criterion '" + criterion + "' has a score of 18 points: --max-points can not go below it");
}

TEST_F(CliTest, OtherRefusals) {
  std::string deputy = AddDeputy("Zhang Wei", "town");
  ExpectRefused("deputy edit " + DbArg() + " --id " + deputy,
                "nothing to change: give at least one of --name, --level, --office, --sector");
  ExpectRefused("deputy edit " + DbArg() + " --id " + deputy + " --name ''",
                "--name must not be empty");
  ExpectRefused("commitment add " + DbArg() + " --deputy " + deputy +
                    " --kind commitment --title 'Street lights' --status not_done",
                "a commitment that was not done needs --reason (why it was not done)");
  ExpectRefused("office add " + DbArg() + " --id 'Town C' --name 'Town C' --kind town",
                "invalid office id 'Town C': use 1 to 64 of a-z, 0-9, '-', '_', '.'");
  ExpectRefused("office add " + DbArg() + " --id town-a --name 'Again' --kind town",
                "office town-a already exists");
  ExpectRefused("office delete " + DbArg() + " --id town-a",
                "office 'town-a' is still referenced by 1 deputies: delete those first");
  std::string report = Ok("report add " + DbArg() + " --deputy " + deputy +
                          " --reported-on 2026-04-02 --topic 'Canal repairs'");
  ExpectRefused("deputy delete " + DbArg() + " --id " + deputy, "deputy '" + deputy +
                                                                    "' is still referenced by 1 "
                                                                    "information reports: delete "
                                                                    "those first");
  ExpectRefused("report edit " + DbArg() + " --id " + report + " --status lost",
                "unknown status 'lost': use one of submitted, forwarded, in_progress, handled, "
                "closed");
}

TEST_F(CliTest, RowsOfAnotherOfficeAreNotChangedHere) {
  // A city deputy, as the nightly sync would bring it: owned by the city office.
  {
    Result<Db> db = Db::Open(db_);
    ASSERT_TRUE(db.ok()) << db.status().message();
    ASSERT_TRUE(db->Exec("INSERT INTO deputies (id, owner, name, level, office_id) "
                         "VALUES ('d-city', 'city', 'Liu Yang', 'city', 'city')")
                    .ok());
  }
  ExpectRefused("deputy edit " + DbArg() + " --id d-city --sector industry",
                "deputy 'd-city' belongs to office city: only that office or the hub may "
                "change it");
  ExpectRefused("deputy delete " + DbArg() + " --id d-city",
                "deputy 'd-city' belongs to office city: only that office or the hub may "
                "change it");
}

// ---- round trips

TEST_F(CliTest, AddPrintsOnlyTheNewId) {
  CommandOutput r = Run("deputy add " + DbArg() + " --name 'Zhang Wei (张伟)' --level town");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(r.out.size(), 33u) << r.out;
  EXPECT_EQ(r.out.back(), '\n');
  EXPECT_EQ(r.out.find_first_not_of("0123456789abcdef"), 32u);
  EXPECT_EQ(r.err, "");
}

TEST_F(CliTest, DeputyAddEditListDelete) {
  std::string id =
      Ok("deputy add " + DbArg() + " --name 'Zhang Wei (张伟)' --level town --sector agriculture");
  std::string json = Ok("deputy list " + DbArg() + " --json");
  ASSERT_EQ(JsonLength(json), 1) << json;
  EXPECT_EQ(JsonGet(json, "$[0].id"), id);
  EXPECT_EQ(JsonGet(json, "$[0].owner"), "town-a");
  EXPECT_EQ(JsonGet(json, "$[0].name"), "Zhang Wei (张伟)");
  EXPECT_EQ(JsonGet(json, "$[0].level"), "town");
  EXPECT_EQ(JsonGet(json, "$[0].office_id"), "town-a");  // the replica's office by default
  EXPECT_EQ(JsonGet(json, "$[0].sector"), "agriculture");

  EXPECT_EQ(Ok("deputy edit " + DbArg() + " --id " + id + " --sector '' --name 'Zhang Wei'"),
            "updated deputy " + id);
  json = Ok("deputy list " + DbArg() + " --json");
  EXPECT_EQ(JsonGet(json, "$[0].name"), "Zhang Wei");
  EXPECT_EQ(JsonGet(json, "$[0].level"), "town");
  EXPECT_EQ(JsonGet(json, "$[0].sector"), "");  // cleared to null
  EXPECT_NE(json.find("\"sector\":null"), std::string::npos) << json;

  std::string text = Ok("deputy list " + DbArg());
  EXPECT_NE(text.find("Zhang Wei"), std::string::npos) << text;
  EXPECT_NE(text.find("office_id"), std::string::npos) << text;

  EXPECT_EQ(Ok("deputy delete " + DbArg() + " --id " + id), "deleted deputy " + id);
  EXPECT_EQ(Ok("deputy list " + DbArg() + " --json"), "[]");
  EXPECT_EQ(Ok("deputy list " + DbArg()), "no deputies");

  // The change log holds the whole story: insert, update, delete.
  std::string changes = Ok("changes " + DbArg() + " --json");
  std::string ops;
  for (std::int64_t i = 0; i < JsonLength(changes); ++i) {
    std::string at = "$[" + std::to_string(i) + "]";
    if (JsonGet(changes, at + ".table") == "deputies") ops += JsonGet(changes, at + ".op") + " ";
  }
  EXPECT_EQ(ops, "insert update delete ");
}

TEST_F(CliTest, ListFilters) {
  AddVoter("Li Na", "woman");
  AddVoter("Wang Lei", "worker");
  AddVoter("Chen Jing", "cadre", "--office sub-b --representative");
  EXPECT_EQ(JsonLength(Ok("voter list " + DbArg() + " --json")), 3);
  std::string women = Ok("voter list " + DbArg() + " --category woman --json");
  ASSERT_EQ(JsonLength(women), 1);
  EXPECT_EQ(JsonGet(women, "$[0].name"), "Li Na");
  std::string reps = Ok("voter list " + DbArg() + " --representative --json");
  ASSERT_EQ(JsonLength(reps), 1);
  EXPECT_EQ(JsonGet(reps, "$[0].name"), "Chen Jing");
  EXPECT_EQ(JsonGet(reps, "$[0].is_representative"), "1");
  EXPECT_EQ(JsonLength(Ok("voter list " + DbArg() + " --office sub-b --json")), 1);

  Ok("activity add " + DbArg() + " --kind study --held-on 2025-12-01 --title 'Old'");
  Ok("activity add " + DbArg() + " --kind research --held-on 2026-03-12 --title 'New'");
  std::string y2026 = Ok("activity list " + DbArg() + " --year 2026 --json");
  ASSERT_EQ(JsonLength(y2026), 1);
  EXPECT_EQ(JsonGet(y2026, "$[0].title"), "New");
}

TEST_F(CliTest, ActivityWithAttendeesAndDeleteRemovesAttendance) {
  std::string a = AddDeputy("Zhang Wei", "town");
  std::string b = AddDeputy("Li Qiang", "town");
  std::string c = AddDeputy("Zhao Min", "town");
  std::string group = Ok("group add " + DbArg() + " --name 'Qingshan Group One' --venue 'Hall'");
  std::string activity =
      Ok("activity add " + DbArg() + " --kind research --held-on 2026-03-12 " +
         "--title 'Rural roads survey' --group " + group + " --attendee " + a + " --attendee " + b);
  std::string json = Ok("activity list " + DbArg() + " --json");
  ASSERT_EQ(JsonLength(json), 1);
  EXPECT_EQ(JsonGet(json, "$[0].kind"), "research");
  EXPECT_EQ(JsonGet(json, "$[0].held_on"), "2026-03-12");
  EXPECT_EQ(JsonGet(json, "$[0].group_id"), group);
  EXPECT_EQ(JsonGet(json, "$[0].office_id"), "town-a");
  EXPECT_EQ(JsonLength(json, "$[0].attendees"), 2);
  EXPECT_EQ(JsonLength(Ok("activity list " + DbArg() + " --deputy " + b + " --json")), 1);
  EXPECT_EQ(JsonLength(Ok("activity list " + DbArg() + " --deputy " + c + " --json")), 0);

  Ok("activity edit " + DbArg() + " --id " + activity + " --attendee " + c + " --remove-attendee " +
     a);
  json = Ok("activity list " + DbArg() + " --json");
  ASSERT_EQ(JsonLength(json, "$[0].attendees"), 2);
  std::string attendees = JsonGet(json, "$[0].attendees");
  EXPECT_EQ(attendees.find(a), std::string::npos) << attendees;
  EXPECT_NE(attendees.find(b), std::string::npos) << attendees;
  EXPECT_NE(attendees.find(c), std::string::npos) << attendees;
  ExpectRefused("activity edit " + DbArg() + " --id " + activity + " --remove-attendee " + a,
                "deputy '" + a + "' did not attend activity '" + activity + "'");
  // Attendance ids follow the schema: <activity_id>/<deputy_id>.
  std::string changes = Ok("changes " + DbArg() + " --json");
  EXPECT_NE(changes.find("\"id\":\"" + activity + "/" + b + "\""), std::string::npos);

  EXPECT_EQ(Ok("activity delete " + DbArg() + " --id " + activity),
            "deleted activity " + activity + " and 2 attendance records");
  EXPECT_EQ(Ok("activity list " + DbArg() + " --json"), "[]");
  // A deputy who attended can now be deleted: no attendance row points at them.
  Ok("deputy delete " + DbArg() + " --id " + b);
  // The attendance deletes are in the change log, for the other replicas.
  changes = Ok("changes " + DbArg() + " --json");
  std::int64_t attendance_deletes = 0;
  for (std::int64_t i = 0; i < JsonLength(changes); ++i) {
    std::string at = "$[" + std::to_string(i) + "]";
    if (JsonGet(changes, at + ".table") == "attendance" && JsonGet(changes, at + ".op") == "delete")
      ++attendance_deletes;
  }
  EXPECT_EQ(attendance_deletes, 3);  // one removed by edit, two by the delete
}

TEST_F(CliTest, GroupMembersAreASetAndGoWithTheirGroup) {
  std::string a = AddDeputy("Zhang Wei", "town");
  std::string b = AddDeputy("Li Qiang", "town");
  std::string group = Ok("group add " + DbArg() + " --name 'Qingshan Group One'");
  EXPECT_EQ(Ok("member add " + DbArg() + " --group " + group + " --deputy " + a + " --role leader"),
            group + "/" + a);
  EXPECT_EQ(Ok("member add " + DbArg() + " --group " + group + " --deputy " + b), group + "/" + b);
  ExpectRefused("member add " + DbArg() + " --group " + group + " --deputy " + b,
                "group member " + group + "/" + b + " already exists");
  ExpectRefused("member add " + DbArg() + " --group nogroup --deputy " + b,
                "unknown deputy group 'nogroup'");
  std::string json = Ok("member list " + DbArg() + " --group " + group + " --json");
  ASSERT_EQ(JsonLength(json), 2);
  EXPECT_EQ(JsonGet(json, "$[0].role"), "leader");
  EXPECT_EQ(JsonGet(json, "$[0].deputy_name"), "Zhang Wei");
  EXPECT_EQ(JsonGet(json, "$[1].role"), "member");  // the schema's default role
  Ok("member edit " + DbArg() + " --group " + group + " --deputy " + b + " --role leader");
  EXPECT_EQ(JsonLength(Ok("member list " + DbArg() + " --role leader --json")), 2);

  EXPECT_EQ(Ok("group delete " + DbArg() + " --id " + group),
            "deleted deputy group " + group + " and 2 memberships");
  EXPECT_EQ(Ok("member list " + DbArg() + " --json"), "[]");
}

TEST_F(CliTest, LinkEndAndDelete) {
  std::string town = AddDeputy("Zhang Wei", "town");
  std::string voter = AddVoter("Li Na", "woman");
  EXPECT_EQ(AddLink(town, voter), town + ">" + voter);
  std::string json = Ok("link list " + DbArg() + " --json");
  EXPECT_EQ(JsonGet(json, "$[0].from_deputy_id"), town);
  EXPECT_EQ(JsonGet(json, "$[0].to_voter_id"), voter);
  EXPECT_EQ(JsonGet(json, "$[0].from_voter_id"), "");
  EXPECT_EQ(JsonGet(json, "$[0].to_name"), "Li Na");
  EXPECT_EQ(JsonLength(Ok("link list " + DbArg() + " --active --json")), 1);
  Ok("link end " + DbArg() + " --from " + town + " --to " + voter + " --ended-on 2026-06-30");
  json = Ok("link list " + DbArg() + " --json");
  EXPECT_EQ(JsonGet(json, "$[0].ended_on"), "2026-06-30");
  EXPECT_EQ(JsonLength(Ok("link list " + DbArg() + " --active --json")), 0);
  ExpectRefused("voter delete " + DbArg() + " --id " + voter,
                "voter '" + voter + "' is still referenced by 1 contact links: delete those first");
  Ok("link delete " + DbArg() + " --from " + town + " --to " + voter);
  EXPECT_EQ(Ok("link list " + DbArg() + " --json"), "[]");
  Ok("voter delete " + DbArg() + " --id " + voter);
}

TEST_F(CliTest, EveryCommandHasHelpWithAnExample) {
  for (const std::string cmd : {"office", "deputy", "group", "member", "voter", "link", "activity",
                                "report", "commitment", "criterion", "score", "case"}) {
    CommandOutput top = Run(cmd + " --help");
    EXPECT_EQ(top.exit_code, 0) << cmd;
    EXPECT_NE(top.out.find("Example: liaison " + cmd), std::string::npos) << cmd << top.out;
    std::string edit = cmd == "link" ? "end" : "edit";
    for (const std::string& sub :
         {std::string("add"), edit, std::string("delete"), std::string("list")}) {
      CommandOutput r = Run(cmd + " " + sub + " --help");
      EXPECT_EQ(r.exit_code, 0) << cmd << " " << sub;
      EXPECT_NE(r.out.find("--db"), std::string::npos) << cmd << " " << sub;
      EXPECT_NE(r.out.find("Example: liaison " + cmd + " " + sub), std::string::npos)
          << cmd << " " << sub << "\n"
          << r.out;
    }
  }
}

TEST_F(CliTest, EveryCommandRecordsItsRows) {
  std::string deputy = AddDeputy("Zhang Wei", "town");
  std::string report = Ok("report add " + DbArg() + " --deputy " + deputy +
                          " --reported-on 2026-04-02 --topic 'Canal repairs' --content 'Leaks'");
  Ok("report edit " + DbArg() + " --id " + report + " --status forwarded");
  std::string json = Ok("report list " + DbArg() + " --office town-a --json");
  EXPECT_EQ(JsonGet(json, "$[0].status"), "forwarded");
  EXPECT_EQ(JsonGet(json, "$[0].deputy_name"), "Zhang Wei");

  std::string commitment = Ok("commitment add " + DbArg() + " --deputy " + deputy +
                              " --kind commitment --title 'Street lights' --due-on 2026-09-30");
  EXPECT_EQ(JsonGet(Ok("commitment list " + DbArg() + " --json"), "$[0].status"), "planned");
  Ok("commitment edit " + DbArg() + " --id " + commitment +
     " --status not_done --reason 'No budget this year'");
  json = Ok("commitment list " + DbArg() + " --status not_done --json");
  EXPECT_EQ(JsonGet(json, "$[0].reason"), "No budget this year");

  std::string kase =
      Ok("case add " + DbArg() + " --reported-on 2026-06-18 --title 'Green channel'");
  json = Ok("case list " + DbArg() + " --year 2026 --json");
  EXPECT_EQ(JsonGet(json, "$[0].id"), kase);
  EXPECT_EQ(JsonGet(json, "$[0].office_id"), "town-a");

  std::string criterion = Ok("criterion add " + DbArg() +
                             " --year 2026 --code A1 --title 'Quarterly meetings' --max-points 20");
  EXPECT_EQ(Ok("score add " + DbArg() + " --office town-a --criterion " + criterion +
               " --assessment self --points 18 --assessor 'Wang Fang'"),
            "town-a/" + criterion + "/self");
  Ok("score edit " + DbArg() + " --office town-a --criterion " + criterion +
     " --assessment self --points 19 --note 'Recounted'");
  json = Ok("score list " + DbArg() + " --year 2026 --json");
  EXPECT_EQ(JsonGet(json, "$[0].points"), "19");
  EXPECT_EQ(JsonGet(json, "$[0].criterion_code"), "A1");
  EXPECT_EQ(JsonGet(json, "$[0].assessor"), "Wang Fang");
  EXPECT_EQ(JsonLength(Ok("score list " + DbArg() + " --year 2025 --json")), 0);
}

TEST_F(CliTest, HubRecordsCityScoresForAnyOffice) {
  std::string hub = dir_.File("city.db");
  Ok("init --db " + Q(hub) + " --office city --hub");
  Ok("office add --db " + Q(hub) + " --id city --name City --kind city");
  Ok("office add --db " + Q(hub) + " --id town-a --name 'Qingshan Town' --kind town");
  std::string criterion = Ok("criterion add --db " + Q(hub) +
                             " --year 2026 --code A1 --title 'Quarterly meetings' --max-points 20");
  Ok("score add --db " + Q(hub) + " --office town-a --criterion " + criterion +
     " --assessment city --points 17 --assessor 'Standing Committee'");
  std::string json = Ok("score list --db " + Q(hub) + " --json");
  EXPECT_EQ(JsonGet(json, "$[0].owner"), "city");
  EXPECT_EQ(JsonGet(json, "$[0].assessment"), "city");
}

}  // namespace
}  // namespace liaison
