// SQLite handles: a database connection, prepared statements and transactions.
//
// Db owns one sqlite3 connection; Stmt owns one prepared statement and must not
// outlive its Db; Transaction rolls back in its destructor unless committed.
// Every connection the engine opens gets `PRAGMA temp_store=MEMORY` (trigger-heavy
// transactions otherwise spill their temporary journals to disk), WAL journaling
// and a busy timeout, so that a `sqlite3` shell may share the file.
//
// Thread-safety: none. A Db and its statements belong to one thread at a time.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "liaison/status.h"

namespace liaison {

// One SQLite value as stored: NULL, INTEGER, REAL or TEXT. Replicated tables hold
// no BLOB (see schema/README.md).
using Value = std::variant<std::monostate, std::int64_t, double, std::string>;

std::string ValueToText(const Value& v);  // NULL prints as "NULL"

class Stmt {
 public:
  Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&& other) noexcept;
  Stmt& operator=(Stmt&& other) noexcept;
  ~Stmt();

  // Parameters are numbered from 1, as in SQLite.
  Stmt& Bind(int index, std::int64_t v);
  Stmt& Bind(int index, std::string_view v);
  Stmt& Bind(int index, const Value& v);
  // As Bind, without SQLite copying the text: for the hot paths that bind a row's
  // strings for each of many rows. REQUIRES: the bytes stay valid and unchanged until
  // the statement has run; SQLite reads a bound value only while it steps, and the
  // next Bind to the same index replaces it.
  Stmt& BindUncopied(int index, std::string_view v);
  Stmt& BindUncopied(int index, const Value& v);
  Stmt& BindNull(int index);
  Stmt& BindBlob(int index, std::string_view bytes);

  // Steps once: true when a row is ready, false when done.
  Result<bool> Step();
  // Steps to completion, for statements that return no rows.
  Status Run();
  // Resets the statement and clears its bindings, ready to run again.
  void Reset();

  int ColumnCount() const;
  std::string ColumnName(int i) const;
  bool IsNull(int i) const;
  std::int64_t Int(int i) const;
  std::string Text(int i) const;
  std::string Blob(int i) const;  // the bytes of a BLOB (or of any value as stored)
  Value GetValue(int i) const;

  sqlite3_stmt* raw() const { return stmt_; }

 private:
  friend class Db;
  Stmt(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

struct OpenOptions {
  bool create = false;       // create the file when missing. Default: false
  bool read_only = false;    // open read-only. Default: false
  bool full_sync = false;    // synchronous=FULL (the hub) instead of NORMAL. Default: false
  int busy_timeout_ms = 5000;
  // SQLite's page cache for this connection, in KiB (0: SQLite's default, 2 MiB).
  int cache_kib = 0;
  const char* vfs = nullptr;  // SQLite VFS name; tests use one with a settable clock
  // Replicas only: migrate up to this schema version (0: every migration this program
  // has). Lets a test stand in for an office still running the previous release.
  int schema_version = 0;
};

class Db {
 public:
  Db() = default;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  Db(Db&& other) noexcept;
  Db& operator=(Db&& other) noexcept;
  ~Db();

  static Result<Db> Open(const std::string& path, const OpenOptions& options = {});

  Status Exec(std::string_view sql);
  Result<Stmt> Prepare(std::string_view sql);
  // Runs a query expected to return one integer (NULL reads as 0).
  Result<std::int64_t> QueryInt(std::string_view sql);
  // Runs `sql` and returns the first column of each row, as text.
  Result<std::vector<std::string>> QueryTexts(std::string_view sql);
  // Whether the main database has a table (or view, index...) named `name`.
  Result<bool> HasTable(std::string_view name);

  // Turns capture triggers on or off for this connection only. The merge path
  // writes remote changes with triggers off; nothing else should.
  Status SetTriggersEnabled(bool enabled);

  const std::string& path() const { return path_; }
  sqlite3* raw() const { return db_; }
  std::string ErrorMessage() const;

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

// BEGIN IMMEDIATE on construction (Begin), ROLLBACK on destruction unless Commit ran.
class Transaction {
 public:
  static Result<Transaction> Begin(Db& db);
  // Like Begin, but when `db` is already inside a transaction returns one that
  // neither commits nor rolls back: the outer transaction decides.
  static Result<Transaction> BeginOrJoin(Db& db);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Status Commit();

 private:
  explicit Transaction(Db* db) : db_(db) {}
  Db* db_;
};

// Quotes an identifier for SQL: "name" with inner quotes doubled.
std::string QuoteIdent(std::string_view name);

}  // namespace liaison
