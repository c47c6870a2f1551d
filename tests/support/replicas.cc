#include "support/replicas.h"

#include "liaison/digest.h"

namespace liaison::testing {

void RegisterOffices(Replica& hub, const std::vector<std::string>& offices) {
  for (const std::string& office : offices) {
    Exec(hub, "INSERT INTO offices(id, owner, name, kind) VALUES('" + office + "', '" +
                  hub.info().office_id.value() + "', '" + office + "', 'town')");
  }
}

ReplicaSet::ReplicaSet(int count) {
  for (int i = 0; i < count; ++i) {
    paths_.push_back(dir_.File("office-" + std::to_string(i) + ".db"));
    replicas_.push_back(std::make_unique<Replica>(Must(
        Replica::Create(paths_.back(), OfficeId("office-" + std::to_string(i)), Role::kOffice),
        "create replica")));
  }
}

std::vector<Change> ReadChanges(Replica& from, const VersionVector& since) {
  ChangeReader reader = Must(ChangeReader::Open(from, since), "open reader");
  std::vector<Change> out;
  for (;;) {
    std::optional<Change> c = Must(reader.Next(), "read change");
    if (!c) break;
    out.push_back(std::move(*c));
  }
  return out;
}

ApplyStats ApplyChanges(Replica& to, const std::vector<Change>& changes) {
  Merger merger = Must(Merger::Begin(to), "begin merge");
  for (const auto& c : changes) Must(merger.Apply(c), "apply change");
  ApplyStats stats = merger.stats();
  Must(merger.Commit(), "commit merge");
  return stats;
}

ApplyStats ReplicaSet::Sync(size_t from, size_t to) {
  VersionVector known = Must(KnownVector((*this)[to].db()), "known vector");
  return ApplyChanges((*this)[to], ReadChanges((*this)[from], known));
}

void ReplicaSet::SyncAll() {
  for (int round = 0; round < 2; ++round) {
    for (size_t a = 0; a < size(); ++a) {
      for (size_t b = 0; b < size(); ++b) {
        if (a != b) Sync(a, b);
      }
    }
  }
}

std::string ReplicaSet::DigestOf(size_t i) { return Must(Digest((*this)[i].db()), "digest"); }

}  // namespace liaison::testing
