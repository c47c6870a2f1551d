#include "liaison/store.h"

#include <cstring>
#include <utility>

namespace liaison {

std::string ValueToText(const Value& v) {
  if (std::holds_alternative<std::monostate>(v)) return "NULL";
  if (auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (auto* d = std::get_if<double>(&v)) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", *d);
    return buf;
  }
  return std::get<std::string>(v);
}

std::string QuoteIdent(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

// ---- Stmt

Stmt::Stmt(Stmt&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), stmt_(std::exchange(other.stmt_, nullptr)) {}

Stmt& Stmt::operator=(Stmt&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Stmt::~Stmt() { sqlite3_finalize(stmt_); }

Stmt& Stmt::Bind(int index, std::int64_t v) {
  sqlite3_bind_int64(stmt_, index, v);
  return *this;
}

Stmt& Stmt::Bind(int index, std::string_view v) {
  sqlite3_bind_text(stmt_, index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

Stmt& Stmt::BindUncopied(int index, std::string_view v) {
  sqlite3_bind_text(stmt_, index, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  return *this;
}

Stmt& Stmt::BindUncopied(int index, const Value& v) {
  if (auto* s = std::get_if<std::string>(&v)) return BindUncopied(index, std::string_view(*s));
  return Bind(index, v);
}

Stmt& Stmt::BindBlob(int index, std::string_view bytes) {
  sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  return *this;
}

Stmt& Stmt::Bind(int index, const Value& v) {
  if (auto* i = std::get_if<std::int64_t>(&v)) return Bind(index, *i);
  if (auto* d = std::get_if<double>(&v)) {
    sqlite3_bind_double(stmt_, index, *d);
    return *this;
  }
  if (auto* s = std::get_if<std::string>(&v)) return Bind(index, std::string_view(*s));
  return BindNull(index);
}

Stmt& Stmt::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Result<bool> Stmt::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  const int primary = rc & 0xFF;
  if (primary == SQLITE_CONSTRAINT || primary == SQLITE_TOOBIG || primary == SQLITE_MISMATCH) {
    return Status::Constraint(sqlite3_errmsg(db_));
  }
  return Status::IoError(sqlite3_errmsg(db_));
}

Status Stmt::Run() {
  for (;;) {
    auto r = Step();
    if (!r.ok()) {
      sqlite3_reset(stmt_);
      return r.status();
    }
    if (!r.value()) return Status::Ok();
  }
}

void Stmt::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int Stmt::ColumnCount() const { return sqlite3_column_count(stmt_); }
std::string Stmt::ColumnName(int i) const { return sqlite3_column_name(stmt_, i); }
bool Stmt::IsNull(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
std::int64_t Stmt::Int(int i) const { return sqlite3_column_int64(stmt_, i); }

std::string Stmt::Text(int i) const {
  const unsigned char* p = sqlite3_column_text(stmt_, i);
  if (p == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, i)));
}

std::string Stmt::Blob(int i) const {
  const void* p = sqlite3_column_blob(stmt_, i);
  if (p == nullptr) return {};
  return std::string(static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, i)));
}

Value Stmt::GetValue(int i) const {
  switch (sqlite3_column_type(stmt_, i)) {
    case SQLITE_INTEGER:
      return sqlite3_column_int64(stmt_, i);
    case SQLITE_FLOAT:
      return sqlite3_column_double(stmt_, i);
    case SQLITE_NULL:
      return std::monostate{};
    default:
      return Text(i);
  }
}

// ---- Db

Db::Db(Db&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

Db& Db::operator=(Db&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

Db::~Db() { sqlite3_close_v2(db_); }

Result<Db> Db::Open(const std::string& path, const OpenOptions& options) {
  int flags = options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (options.create && !options.read_only) flags |= SQLITE_OPEN_CREATE;
  flags |= SQLITE_OPEN_NOMUTEX;
  Db db;
  db.path_ = path;
  int rc = sqlite3_open_v2(path.c_str(), &db.db_, flags, options.vfs);
  if (rc != SQLITE_OK) {
    std::string msg = db.db_ ? sqlite3_errmsg(db.db_) : sqlite3_errstr(rc);
    return Status::IoError("open " + path + ": " + msg);
  }
  sqlite3_extended_result_codes(db.db_, 1);
  sqlite3_busy_timeout(db.db_, options.busy_timeout_ms);
  std::string pragmas = "PRAGMA temp_store=MEMORY;";
  if (options.cache_kib > 0) pragmas += "PRAGMA cache_size=-" + std::to_string(options.cache_kib) + ";";
  if (!options.read_only) {
    pragmas += "PRAGMA journal_mode=WAL;";
    pragmas += options.full_sync ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;";
  }
  Status s = db.Exec(pragmas);
  if (!s.ok()) return s.WithContext("open " + path);
  return db;
}

Status Db::Exec(std::string_view sql) {
  std::string owned(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, owned.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return Status::IoError(msg);
  }
  return Status::Ok();
}

Result<Stmt> Db::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return Status::IoError(std::string(sqlite3_errmsg(db_)) + " in: " + std::string(sql));
  }
  return Stmt(db_, stmt);
}

Result<std::int64_t> Db::QueryInt(std::string_view sql) {
  LIAISON_ASSIGN_OR_RETURN(Stmt stmt, Prepare(sql));
  LIAISON_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return Status::NotFound("no row for: " + std::string(sql));
  return stmt.Int(0);
}

Result<bool> Db::HasTable(std::string_view name) {
  LIAISON_ASSIGN_OR_RETURN(Stmt stmt, Prepare("SELECT 1 FROM sqlite_schema WHERE name = ?"));
  stmt.Bind(1, name);
  return stmt.Step();
}

Result<std::vector<std::string>> Db::QueryTexts(std::string_view sql) {
  LIAISON_ASSIGN_OR_RETURN(Stmt stmt, Prepare(sql));
  std::vector<std::string> out;
  for (;;) {
    LIAISON_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back(stmt.Text(0));
  }
  return out;
}

Status Db::SetTriggersEnabled(bool enabled) {
  int result = 0;
  if (sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_TRIGGER, enabled ? 1 : 0, &result) !=
      SQLITE_OK) {
    return Status::IoError("cannot switch triggers: " + ErrorMessage());
  }
  return Status::Ok();
}

std::string Db::ErrorMessage() const { return db_ ? sqlite3_errmsg(db_) : "no database"; }

// ---- Transaction

Result<Transaction> Transaction::Begin(Db& db) {
  LIAISON_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  return Transaction(&db);
}

Result<Transaction> Transaction::BeginOrJoin(Db& db) {
  if (sqlite3_get_autocommit(db.raw()) == 0) return Transaction(nullptr);
  return Begin(db);
}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->Exec("ROLLBACK");
}

Status Transaction::Commit() {
  Db* db = std::exchange(db_, nullptr);
  if (db == nullptr) return Status::Ok();
  Status s = db->Exec("COMMIT");
  if (!s.ok()) (void)db->Exec("ROLLBACK");
  return s;
}

}  // namespace liaison
