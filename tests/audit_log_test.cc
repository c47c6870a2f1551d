// The exported audit log (engine/audit/AUDIT.md, "The exported log"): it verifies,
// replays and gives histories as the hub's database does, and any change to its bytes
// (a flipped byte anywhere, a record removed, repeated, moved, or a cut tail) is found.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "liaison/audit.h"
#include "liaison/digest.h"
#include "liaison/hub.h"
#include "liaison/office_sync.h"
#include "support/replicas.h"
#include "support/sync_round.h"
#include "support/temp_dir.h"

namespace liaison::testing {
namespace {

using ::testing::HasSubstr;

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// The log's records as [offset, size) spans after its 16-byte magic.
struct Span {
  std::size_t at, size;
  std::uint8_t kind;
};
std::vector<Span> Records(const std::string& log) {
  std::vector<Span> out;
  for (std::size_t at = 16; at + 5 <= log.size();) {
    std::uint32_t length = 0;
    for (int i = 3; i >= 0; --i) length = (length << 8) | static_cast<unsigned char>(log[at + 1 + i]);
    out.push_back({at, 5 + length, static_cast<std::uint8_t>(log[at])});
    at += 5 + length;
  }
  return out;
}

class AuditLog : public ::testing::Test {
 protected:
  void SetUp() override {
    // Entry 1: the city office adds town-a to its offices.
    RegisterOffices(Must(Replica::Create(dir_.File("hub.db"), OfficeId("city"), Role::kHub)),
                    {"town-a"});
    HubOptions options;
    options.signer = TestHubSigner();
    hub_.emplace(Must(Hub::Open(dir_.File("hub.db"), options)));
    OfficeSyncOptions sync;
    sync.hub_certificate = TestHubSigner()->certificate_der();
    sync.signer = TestOfficeSigner();
    Replica a = Must(Replica::Create(dir_.File("a.db"), OfficeId("town-a"), Role::kOffice));
    Exec(a, "INSERT INTO activities(id, owner, kind, held_on, title, office_id) VALUES"
            "('a1', 'town-a', 'study', '2026-03-01', 'Budget', 'town-a'),"
            "('a2', 'town-a', 'inspection', '2026-03-02', 'Visit', 'town-a')");
    ASSERT_OK(SyncRound(*hub_, a, "town-a", sync).status);
    // A concurrent edit of one row: the city's and the office's titles conflict.
    Exec(master(), "UPDATE activities SET title = 'Budget (city)' WHERE id = 'a1'");
    Exec(a, "UPDATE activities SET title = 'Budget review' WHERE id = 'a1'");
    Exec(a, "DELETE FROM activities WHERE id = 'a2'");
    ASSERT_OK(SyncRound(*hub_, a, "town-a", sync).status);
    ASSERT_OK(SyncRound(*hub_, a, "town-a", sync).status);
    log_ = dir_.File("city.log");
    LogExportStats stats = Must(ExportChain(master(), log_, ""));
    ASSERT_EQ(stats.entries, 6);
    ASSERT_EQ(stats.checkpoints, 3);
    bytes_ = ReadBytes(log_);
  }

  Replica& master() { return hub_->replica(); }

  ChainReport VerifyFile(const std::string& path) {
    AuditLogFile file = Must(AuditLogFile::Open(path));
    return Must(file.source().walk(nullptr));
  }

  // Verifies `bytes` written as a log; a log whose header is gone does not open.
  ChainReport VerifyBytes(const std::string& bytes) {
    const std::string path = dir_.File("tampered.log");
    WriteBytes(path, bytes);
    Result<AuditLogFile> file = AuditLogFile::Open(path);
    if (!file.ok()) {
      ChainReport refused;
      refused.problem = file.status().message();
      return refused;
    }
    return Must(file->source().walk(nullptr));
  }

  TempDir dir_;
  std::optional<Hub> hub_;
  std::string log_, bytes_;
};

TEST_F(AuditLog, TheLogVerifiesReplaysAndTellsHistoriesAsTheDatabaseDoes) {
  ChainReport from_db = Must(VerifyChain(master()));
  ChainReport from_log = VerifyFile(log_);
  ASSERT_TRUE(from_log.ok()) << from_log.problem;
  EXPECT_EQ(from_log.entries, from_db.entries);
  EXPECT_EQ(from_log.head, from_db.head);
  EXPECT_EQ(from_log.checkpoints, 3);
  EXPECT_EQ(from_log.signed_changes, 4);  // the office's; the city's edit is the hub's own
  EXPECT_EQ(from_log.signed_changes, from_db.signed_changes);

  AuditLogFile file = Must(AuditLogFile::Open(log_));
  const std::string replayed = dir_.File("replayed.db");
  ReplayStats stats = Must(ReplayChain(file.source(), 4'000'000'000'000, replayed));
  EXPECT_EQ(stats.applied, 6);
  Replica copy = Must(Replica::Open(replayed));
  EXPECT_EQ(Must(Digest(copy.db())), Must(Digest(master().db())));

  RowHistory db = Must(HistoryOf(master(), "activities", "a1"));
  RowHistory log = Must(HistoryOf(file.source(), "activities", "a1"));
  ASSERT_EQ(log.events.size(), 3u);  // the insert, the city's edit, the office's
  ASSERT_EQ(log.events.size(), db.events.size());
  for (std::size_t i = 0; i < log.events.size(); ++i) {
    EXPECT_EQ(log.events[i].n, db.events[i].n);
    EXPECT_EQ(log.events[i].office, db.events[i].office);
    EXPECT_EQ(log.events[i].before, db.events[i].before);
    EXPECT_EQ(log.events[i].after, db.events[i].after);
    EXPECT_EQ(log.events[i].signed_by, db.events[i].signed_by);
  }
  // The conflict is found again by the merge, dated by the entry that caused it.
  ASSERT_EQ(log.conflicts.size(), 1u);
  ASSERT_EQ(db.conflicts.size(), 1u);
  EXPECT_EQ(log.conflicts[0].column, "title");
  EXPECT_EQ(log.conflicts[0].winner.value, db.conflicts[0].winner.value);
  EXPECT_EQ(log.conflicts[0].loser.value, db.conflicts[0].loser.value);
}

TEST_F(AuditLog, EverySingleByteChangeAnywhereIsFound) {
  ASSERT_TRUE(VerifyBytes(bytes_).ok());
  std::mt19937_64 rng(20261127);
  // 2,000 bytes picked anywhere in the file (some several times), each changed by a
  // random non-zero mask.
  for (int i = 0; i < 2000; ++i) {
    const std::size_t at = rng() % bytes_.size();
    std::string tampered = bytes_;
    tampered[at] = static_cast<char>(tampered[at] ^ static_cast<char>(rng() % 255 + 1));
    EXPECT_FALSE(VerifyBytes(tampered).ok()) << "a changed byte at offset " << at << " of "
                                             << bytes_.size();
  }
}

TEST_F(AuditLog, RemovedRepeatedMovedAndCutRecordsAreFoundAtTheRightEntry) {
  const std::vector<Span> records = Records(bytes_);
  std::vector<Span> entries;
  for (const Span& r : records) {
    if (r.kind == 0x10) entries.push_back(r);
  }
  ASSERT_EQ(entries.size(), 6u);
  auto piece = [&](const Span& s) { return bytes_.substr(s.at, s.size); };
  auto without = [&](const Span& s) { return bytes_.substr(0, s.at) + bytes_.substr(s.at + s.size); };

  ChainReport removed = VerifyBytes(without(entries[2]));
  EXPECT_EQ(removed.bad_entry, 3) << removed.problem;
  EXPECT_THAT(removed.problem, HasSubstr("entry 3 is missing"));

  std::string repeated = bytes_;
  repeated.insert(entries[1].at, piece(entries[1]));
  EXPECT_EQ(VerifyBytes(repeated).bad_entry, 3);

  std::string swapped = bytes_.substr(0, entries[1].at) + piece(entries[2]) + piece(entries[1]) +
                        bytes_.substr(entries[2].at + entries[2].size);
  EXPECT_EQ(VerifyBytes(swapped).bad_entry, 2);

  // Cut at every record boundary and in the middle of every record.
  for (const Span& r : records) {
    for (std::size_t cut : {r.at, r.at + r.size / 2}) {
      ChainReport report = VerifyBytes(bytes_.substr(0, cut));
      EXPECT_FALSE(report.ok()) << "cut at " << cut;
    }
  }
  ChainReport cut = VerifyBytes(bytes_.substr(0, entries[4].at));
  EXPECT_THAT(cut.problem, HasSubstr("without its closing record: its tail was cut"));

  ChainReport appended = VerifyBytes(bytes_ + piece(entries[0]));
  EXPECT_THAT(appended.problem, HasSubstr("bytes follow the log's closing record"));
}

TEST_F(AuditLog, AChainRebuiltOverARewrittenChangeFailsTheSignaturesAndCannotBeExported) {
  // The operators change a change in the database, rebuild the chain and export it:
  // the chain holds, but the checkpoints the hub signed before name other heads.
  Exec(master(), "UPDATE _sync_received SET vals = replace(vals, 'Visit', 'Nothing') "
                 "WHERE pk = 'a2' AND op = 'I'; DELETE FROM _sync_audit");
  Must(ExtendChain(master()).status());
  ChainReport db = Must(VerifyChain(master()));
  EXPECT_FALSE(db.ok());
  // The office's signature of the change fails first, then the hub's checkpoint would.
  EXPECT_THAT(db.problem, HasSubstr("(activities a2) is not the change office town-a signed"));
  Exec(master(), "DELETE FROM _sync_batches");
  EXPECT_THAT(Must(VerifyChain(master())).problem, HasSubstr("names another head"));
  Result<LogExportStats> refused = ExportChain(master(), dir_.File("forged.log"), "");
  EXPECT_FALSE(refused.ok());
  EXPECT_FALSE(std::filesystem::exists(dir_.File("forged.log")));
}

}  // namespace
}  // namespace liaison::testing
