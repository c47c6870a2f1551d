// Status and Result: how every engine function reports failure.
//
// A Status is either ok or carries a code and a one-line message with context
// ("open replica towns/a.db: unable to open database file"). Result<T> holds a T
// or a non-ok Status. Both are [[nodiscard]] so an ignored failure is visible.
// No exception crosses a module boundary: library exceptions are caught at the
// edge and turned into a Status.
//
// Thread-safety: plain values; safe to copy and move between threads.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace liaison {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk,
    kInvalidArgument,    // the caller's input is malformed or out of range
    kNotFound,           // a named thing does not exist
    kAlreadyExists,      // a thing that must be unique exists already
    kFailedPrecondition, // the system is not in a state that allows this
    kCorruption,         // stored or received bytes are damaged or foreign
    kIoError,            // the file system or SQLite failed
    kInternal,           // a bug
    // A write broke the schema: a CHECK, NOT NULL, UNIQUE or type constraint, or a
    // value past SQLite's size limit. The message is SQLite's; the statement wrote
    // nothing, and the transaction around it is still open.
    kConstraint,
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
  static Status FailedPrecondition(std::string m) {
    return {Code::kFailedPrecondition, std::move(m)};
  }
  static Status Corruption(std::string m) { return {Code::kCorruption, std::move(m)}; }
  static Status IoError(std::string m) { return {Code::kIoError, std::move(m)}; }
  static Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }
  static Status Constraint(std::string m) { return {Code::kConstraint, std::move(m)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns this status with `context: ` put in front of the message.
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok());
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace liaison

// Returns early from the enclosing function when `expr` is not ok.
#define LIAISON_RETURN_IF_ERROR(expr)        \
  do {                                       \
    ::liaison::Status liaison_s_ = (expr);   \
    if (!liaison_s_.ok()) return liaison_s_; \
  } while (0)

#define LIAISON_CONCAT_INNER(a, b) a##b
#define LIAISON_CONCAT(a, b) LIAISON_CONCAT_INNER(a, b)
#define LIAISON_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()

// `LIAISON_ASSIGN_OR_RETURN(auto x, F());` binds x to F()'s value or returns its status.
#define LIAISON_ASSIGN_OR_RETURN(lhs, expr) \
  LIAISON_ASSIGN_OR_RETURN_IMPL(LIAISON_CONCAT(liaison_r_, __LINE__), lhs, expr)
