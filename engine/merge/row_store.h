// Internal to the merge module: reading and writing `_sync_rows` (RowMeta) and the
// JSON encodings of column clocks ({"col": [hlc, "origin"], ...}).
//
// Thread-safety: none; belongs to the Db's thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "liaison/merge.h"
#include "liaison/store.h"

namespace liaison::merge_internal {

std::string ClocksJson(const std::vector<std::pair<std::string, Clock>>& clocks);
// Decodes a column-clock JSON object as ClocksJson writes it, in its order. Anything
// else (a value other than [integer, string], malformed JSON) is Status::Corruption.
Result<std::vector<std::pair<std::string, Clock>>> ReadClocks(std::string_view json);

class RowStore {
 public:
  static Result<RowStore> Prepare(Db& db);

  Result<std::optional<RowMeta>> Load(const std::string& table, const std::string& pk);
  Status Save(const std::string& table, const std::string& pk, const RowMeta& meta);

 private:
  RowStore(Db& db, Stmt load, Stmt save)
      : db_(&db), load_(std::move(load)), save_(std::move(save)) {}
  Db* db_;
  Stmt load_;
  Stmt save_;
};

}  // namespace liaison::merge_internal
