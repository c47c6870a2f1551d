// `liaison conflicts` and `liaison conflicts resolve`, run as a person runs them: the
// built binary against replica files in which two replicas made real conflicts by
// writing concurrently and syncing both ways. A refused command exits non-zero with
// one line on stderr and leaves the replica exactly as it was.
#include <gtest/gtest.h>

#include <string>

#include "support/replicas.h"

namespace liaison::testing {
namespace {

// The value at `path` ("$[0].winner.value") of a JSON text, as SQLite's json
// functions read it; "" for JSON null or a missing key.
std::string JsonGet(const std::string& json, const std::string& path) {
  Db db = Must(Db::Open(":memory:", OpenOptions{.create = true}), "open memory db");
  Stmt stmt = Must(db.Prepare("SELECT coalesce(json_extract(?, ?), '')"), "prepare");
  stmt.Bind(1, std::string_view(json)).Bind(2, std::string_view(path));
  EXPECT_TRUE(Must(stmt.Step(), "step")) << json;
  return stmt.Text(0);
}

// The length of a JSON array; -1 when the text is not one.
std::int64_t JsonLength(const std::string& json) {
  Db db = Must(Db::Open(":memory:", OpenOptions{.create = true}), "open memory db");
  Stmt stmt = Must(db.Prepare("SELECT coalesce(json_array_length(?), -1)"), "prepare");
  stmt.Bind(1, std::string_view(json));
  EXPECT_TRUE(Must(stmt.Step(), "step")) << json;
  return stmt.Int(0);
}

class ConflictsCliTest : public ::testing::Test {
 protected:
  // Replica 0 renames voter v1 to "Li Wei", replica 1 later to "Li Wen".
  void ConcurrentRename() {
    Exec(set_[0],
         "INSERT INTO voters(id, owner, name, category, office_id) "
         "VALUES('v1', 'office-0', 'Li', 'worker', 'town-a')");
    set_.Sync(0, 1);
    Exec(set_[0], "UPDATE voters SET name = 'Li Wei' WHERE id = 'v1'");
    Exec(set_[1], "UPDATE voters SET name = 'Li Wen' WHERE id = 'v1'");
    set_.Sync(0, 1);
    set_.Sync(1, 0);
  }

  CommandOutput Run(const std::string& args) { return RunLiaison(args); }
  std::string Ok(const std::string& args) { return LiaisonOk(args); }
  std::string Db(size_t i) const { return "--db " + ShellQuote(set_.path(i)); }

  struct Snapshot {
    std::string digest, changes, journal;
    bool operator==(const Snapshot&) const = default;
  };
  Snapshot Snap(size_t i) {
    return {Ok("digest " + Db(i)), Ok("changes " + Db(i) + " --json"),
            Ok("conflicts " + Db(i) + " --all --json")};
  }

  void ExpectRefused(const std::string& args, const std::string& message) {
    Snapshot before = Snap(0);
    CommandOutput r = Run(args);
    EXPECT_NE(r.exit_code, 0) << "liaison " << args;
    EXPECT_EQ(r.err, "liaison: " + message + "\n") << "liaison " << args;
    EXPECT_EQ(r.out, "") << "liaison " << args;
    EXPECT_TRUE(Snap(0) == before) << "refused command changed the replica: liaison " << args;
  }

  ReplicaSet set_{2};
};

TEST_F(ConflictsCliTest, ListingShowsBothValues) {
  ConcurrentRename();
  std::string text = Ok("conflicts " + Db(0));
  EXPECT_EQ(text.substr(0, text.find('\n')).find("id  detected"), 0u) << text;
  for (const char* part :
       {"voters", "v1", "name", "concurrent_write", "\"Li Wen\" @ ", "\"Li Wei\" @ "}) {
    EXPECT_NE(text.find(part), std::string::npos) << part << " missing from\n" << text;
  }
  std::string json = Ok("conflicts " + Db(0) + " --json");
  EXPECT_EQ(JsonLength(json), 1);
  EXPECT_EQ(JsonGet(json, "$[0].table"), "voters");
  EXPECT_EQ(JsonGet(json, "$[0].row_id"), "v1");
  EXPECT_EQ(JsonGet(json, "$[0].column"), "name");
  EXPECT_EQ(JsonGet(json, "$[0].winner.value"), "Li Wen");
  EXPECT_EQ(JsonGet(json, "$[0].winner.origin"), set_[1].info().replica_id.value());
  EXPECT_EQ(JsonGet(json, "$[0].loser.value"), "Li Wei");
  EXPECT_EQ(JsonGet(json, "$[0].loser.origin"), set_[0].info().replica_id.value());
  EXPECT_EQ(JsonGet(json, "$[0].resolution"), "");
  EXPECT_EQ(JsonLength(Ok("conflicts " + Db(0) + " --json --table deputies")), 0);
  EXPECT_EQ(Ok("conflicts " + Db(0) + " --table deputies"), "no unresolved conflicts");
  ExpectRefused("conflicts " + Db(0) + " --table nowhere", "unknown table 'nowhere'");
}

TEST_F(ConflictsCliTest, TakingTheLoserMakesOneNewChangeThatSyncs) {
  ConcurrentRename();
  const std::string id = JsonGet(Ok("conflicts " + Db(0) + " --json"), "$[0].id");
  const std::int64_t logged = JsonLength(Ok("changes " + Db(0) + " --json"));

  EXPECT_EQ(Ok("conflicts resolve " + Db(0) + " " + id + " --take-loser"),
            "resolved conflict " + id + ": wrote the losing value, voters v1 name = \"Li Wei\"");
  std::string changes = Ok("changes " + Db(0) + " --json");
  ASSERT_EQ(JsonLength(changes), logged + 1);
  const std::string last = "$[" + std::to_string(logged) + "]";
  EXPECT_EQ(JsonGet(changes, last + ".op"), "update");
  EXPECT_EQ(JsonGet(changes, last + ".values.name"), "Li Wei");
  EXPECT_EQ(Ok("conflicts " + Db(0)), "no unresolved conflicts");
  EXPECT_EQ(JsonGet(Ok("conflicts " + Db(0) + " --all --json"), "$[0].resolution"), "took_loser");

  set_.Sync(0, 1);
  set_.Sync(1, 0);
  EXPECT_EQ(Ok("digest " + Db(0)), Ok("digest " + Db(1)));
  EXPECT_EQ(Ok("voter list " + Db(1) + " --json").find("\"name\":\"Li Wei\"") != std::string::npos,
            true);
}

TEST_F(ConflictsCliTest, KeepingTheWinnerChangesNoData) {
  ConcurrentRename();
  const std::string id = JsonGet(Ok("conflicts " + Db(0) + " --json"), "$[0].id");
  Snapshot before = Snap(0);
  EXPECT_EQ(Ok("conflicts resolve " + Db(0) + " " + id + " --keep-winner"),
            "resolved conflict " + id + ": kept the winning value");
  Snapshot after = Snap(0);
  EXPECT_EQ(after.digest, before.digest);
  EXPECT_EQ(after.changes, before.changes);
  EXPECT_EQ(JsonGet(after.journal, "$[0].resolution"), "kept_winner");
}

TEST_F(ConflictsCliTest, RefusalsChangeNothing) {
  ConcurrentRename();
  const std::string id = JsonGet(Ok("conflicts " + Db(0) + " --json"), "$[0].id");
  const std::string resolve = "conflicts resolve " + Db(0) + " ";
  ExpectRefused(resolve + "999 --take-loser", "no conflict 999");
  ExpectRefused(resolve + "abc --keep-winner",
                "malformed conflict id 'abc': use the id `liaison conflicts` shows");
  ExpectRefused(resolve + id, "say how to resolve it: either --take-loser or --keep-winner");
  ExpectRefused(resolve + id + " --take-loser --keep-winner",
                "say how to resolve it: either --take-loser or --keep-winner");
  Ok(resolve + id + " --keep-winner");
  Snapshot before = Snap(0);
  CommandOutput again = Run(resolve + id + " --take-loser");
  EXPECT_NE(again.exit_code, 0);
  EXPECT_EQ(again.err.rfind("liaison: conflict " + id + " is already resolved (kept_winner at ", 0),
            0u)
      << again.err;
  EXPECT_TRUE(Snap(0) == before);
}

TEST_F(ConflictsCliTest, TheLoserOfADeletedRowIsRefusedWithAHint) {
  Exec(set_[0],
       "INSERT INTO voters(id, owner, name, category, office_id) "
       "VALUES('v1', 'office-0', 'Li', 'worker', 'town-a')");
  set_.Sync(0, 1);
  Exec(set_[1], "UPDATE voters SET contact = '138-0000' WHERE id = 'v1'");
  Exec(set_[0], "DELETE FROM voters WHERE id = 'v1'");
  set_.Sync(0, 1);
  set_.Sync(1, 0);
  const std::string id = JsonGet(Ok("conflicts " + Db(0) + " --json"), "$[0].id");
  ExpectRefused("conflicts resolve " + Db(0) + " " + id + " --take-loser",
                "conflict " + id + " (voters v1 contact): row v1 of voters no longer exists; " +
                    "keep the winner instead");
  Ok("conflicts resolve " + Db(0) + " " + id + " --keep-winner");
}

TEST_F(ConflictsCliTest, AScoreIsResolvedAsOneWrite) {
  Exec(set_[0],
       "INSERT INTO scores(id, owner, office_id, criterion_id, assessment, points, "
       "assessor) VALUES('town-a/c1/city', 'office-0', 'town-a', 'c1', 'city', 7, "
       "'Zhao')");
  set_.Sync(0, 1);
  Exec(set_[0], "UPDATE scores SET points = 9, assessor = 'Qian' WHERE id = 'town-a/c1/city'");
  Exec(set_[1], "UPDATE scores SET points = 8 WHERE id = 'town-a/c1/city'");
  set_.Sync(0, 1);
  set_.Sync(1, 0);
  std::string json = Ok("conflicts " + Db(0) + " --json");
  ASSERT_EQ(JsonLength(json), 2);
  const std::string first = JsonGet(json, "$[0].id"), second = JsonGet(json, "$[1].id");
  const std::int64_t logged = JsonLength(Ok("changes " + Db(0) + " --json"));

  EXPECT_EQ(Ok("conflicts resolve " + Db(0) + " " + second + " --take-loser"),
            "resolved conflicts " + second + ", " + first +
                ": wrote the losing value, scores town-a/c1/city points = 9, assessor = \"Qian\"");
  std::string changes = Ok("changes " + Db(0) + " --json");
  ASSERT_EQ(JsonLength(changes), logged + 1);
  EXPECT_EQ(Ok("conflicts " + Db(0)), "no unresolved conflicts");

  set_.Sync(0, 1);
  set_.Sync(1, 0);
  EXPECT_EQ(Ok("digest " + Db(0)), Ok("digest " + Db(1)));
  std::string scores = Ok("score list " + Db(1) + " --json");
  EXPECT_EQ(JsonGet(scores, "$[0].points"), "9");
  EXPECT_EQ(JsonGet(scores, "$[0].assessor"), "Qian");
}

}  // namespace
}  // namespace liaison::testing
