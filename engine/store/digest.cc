#include "liaison/digest.h"

#include <algorithm>
#include <memory>

#include "base/coding.h"
#include "base/hex.h"
#include "base/sha256.h"
#include "liaison/tables.h"

namespace liaison {
namespace {

// The canonical encoding of liaison/digest.h, hashed as it is written.
class DigestStream {
 public:
  void Tag(char c) { sha_.Update(std::string_view(&c, 1)); }
  void U32(std::uint32_t v) { Put(v, 4); }
  void I64(std::int64_t v) { Put(static_cast<std::uint64_t>(v), 8); }
  void Bytes(char tag, std::string_view s) {
    Tag(tag);
    U32(static_cast<std::uint32_t>(s.size()));
    sha_.Update(s);
  }
  std::string HexFinal() { return HexEncode(sha_.Final()); }

 private:
  void Put(std::uint64_t v, int bytes) {
    char b[8];
    EncodeBe(b, v, bytes);
    sha_.Update(std::string_view(b, static_cast<std::size_t>(bytes)));
  }
  Sha256Stream sha_;
};

Status HashTable(Db& db, const TableInfo& table, const std::string& where, DigestStream& sha) {
  sha.Bytes('T', table.name);
  std::string columns;
  for (const auto& c : table.columns) {
    sha.Bytes('C', c.name);
    if (!columns.empty()) columns += ", ";
    columns += QuoteIdent(c.name);
  }
  std::string sql = "SELECT " + columns + " FROM " + QuoteIdent(table.name);
  if (!where.empty()) sql += " WHERE " + where;
  sql += " ORDER BY id COLLATE BINARY";
  LIAISON_ASSIGN_OR_RETURN(Stmt stmt, db.Prepare(sql));
  const int n = static_cast<int>(table.columns.size());
  for (;;) {
    LIAISON_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    sha.Tag('R');
    for (int i = 0; i < n; ++i) {
      switch (sqlite3_column_type(stmt.raw(), i)) {
        case SQLITE_NULL:
          sha.Tag('N');
          break;
        case SQLITE_INTEGER:
          sha.Tag('I');
          sha.I64(stmt.Int(i));
          break;
        case SQLITE_TEXT:
          sha.Bytes('S', stmt.Text(i));
          break;
        default:
          return Status::Corruption("table " + table.name + " column " + table.columns[i].name +
                                    " holds a value that is neither TEXT nor INTEGER");
      }
    }
  }
  return Status::Ok();
}

// Hashes the replicated tables named in `where_by_table` (nullptr: all of them), each
// filtered by its condition.
Result<std::string> HashTables(Db& db, const std::map<std::string, std::string>* where_by_table) {
  LIAISON_ASSIGN_OR_RETURN(std::vector<TableInfo> tables, ReplicatedTables(db));
  if (where_by_table) {
    for (const auto& [name, where] : *where_by_table) {
      if (std::none_of(tables.begin(), tables.end(),
                       [&](const TableInfo& t) { return t.name == name; })) {
        return Status::NotFound("no replicated table " + name);
      }
    }
  }
  DigestStream sha;
  for (const auto& table : tables) {
    std::string where;
    if (where_by_table) {
      auto it = where_by_table->find(table.name);
      if (it == where_by_table->end()) continue;
      where = it->second;
    }
    LIAISON_RETURN_IF_ERROR(HashTable(db, table, where, sha));
  }
  sha.Tag('E');
  return sha.HexFinal();
}

}  // namespace

Result<std::string> DigestTables(Db& db, const std::vector<std::string>& names,
                                 const std::string& where) {
  std::map<std::string, std::string> where_by_table;
  for (const auto& name : names) where_by_table[name] = where;
  return HashTables(db, &where_by_table);
}

Result<std::string> DigestTables(Db& db,
                                 const std::map<std::string, std::string>& where_by_table) {
  return HashTables(db, &where_by_table);
}

Result<std::string> Digest(Db& db) { return HashTables(db, nullptr); }

}  // namespace liaison
