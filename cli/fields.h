// The fields of a domain record as the command line sees them: which column an
// option fills, what kind of value it takes, and how a typed value is checked before
// anything is written, so that a person sees a one-line reason instead of a SQLite
// CHECK failure.
//
// A Field is a plain description; the checks are pure functions except
// CheckReference, which reads the caller's Db. Checks end the command through
// Fail() (command.h) with a message that names the option and the value.
//
// Thread-safety: plain values and functions without shared state.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "liaison/store.h"

namespace liaison::cli {

// One row of a replicated table, by column name, as it will be (or was) written.
using Row = std::map<std::string, Value>;

// The text of `row[column]`, or "" when the column is missing or NULL.
std::string RowText(const Row& row, const std::string& column);

enum class FieldKind {
  kText,     // free text; an empty value is refused when required, else stored as NULL
  kDate,     // YYYY-MM-DD, a real calendar date
  kInteger,  // a decimal integer within [min, max]
  kEnum,     // one of `choices`
  kFlag,     // a flag: --x sets 1, --no-x sets 0
  kRef,      // the id of a row of `ref_table` (checked to exist on add)
};

struct Field {
  std::string column;  // the schema column; empty for a virtual field that hooks read
  std::string option;  // "--held-on"; derived from the column unless set with Opt()
  FieldKind kind = FieldKind::kText;
  std::string help;
  bool required = false;                     // on add. Default: false
  bool key = false;                          // part of a set table's derived id. Default: false
  bool editable = true;                      // offered by edit. Default: true
  bool repeatable = false;                   // virtual fields only: the option may repeat
  bool on_add = true;                        // offered by add. Default: true
  bool own_office_default = false;           // on add, defaults to the replica's office
  bool today_default = false;                // on add, defaults to today's date
  std::optional<std::string> default_value;  // on add, when the option is absent
  std::vector<std::string> choices;          // kEnum
  std::string ref_table;                     // kRef: "offices"
  std::string ref_noun;                      // kRef: "office", for "unknown office 'x'"
  std::int64_t min = std::numeric_limits<std::int64_t>::min();  // kInteger
  std::int64_t max = std::numeric_limits<std::int64_t>::max();  // kInteger

  bool is_virtual() const { return column.empty(); }

  Field& Required() {
    required = true;
    return *this;
  }
  // Names the row of a set table on edit and delete; required, never edited.
  Field& Key() {
    key = required = true;
    editable = false;
    return *this;
  }
  Field& Fixed() {
    editable = false;
    return *this;
  }
  Field& Repeatable() {
    repeatable = true;
    return *this;
  }
  Field& EditOnly() {
    on_add = false;
    return *this;
  }
  Field& DefaultToday() {
    today_default = true;
    return *this;
  }
  Field& OwnOffice() {
    own_office_default = true;
    return *this;
  }
  Field& Default(std::string v) {
    default_value = std::move(v);
    return *this;
  }
  Field& Opt(std::string o) {
    option = std::move(o);
    return *this;
  }
};

Field TextField(std::string column, std::string help);
Field DateField(std::string column, std::string help);
Field IntField(std::string column, std::string help, std::int64_t min, std::int64_t max);
Field EnumField(std::string column, std::string help, std::vector<std::string> choices);
Field FlagField(std::string column, std::string help);
Field RefField(std::string column, std::string help, std::string ref_table, std::string ref_noun);

// "--office" for "office_id", "--held-on" for "held_on", "--representative" for
// "is_representative".
std::string OptionForColumn(const std::string& column);

// True when `s` is an ISO date YYYY-MM-DD that exists in the calendar.
bool IsIsoDate(std::string_view s);

// Today's local date as YYYY-MM-DD.
std::string Today();

// Checks `text` against the field's kind and returns the value to store
// (kInteger as an integer, an empty optional text as NULL). Fails the command with
// a message naming the option, e.g.
//   malformed date '2026-02-30' for --held-on: use YYYY-MM-DD
//   unknown category 'student': use one of worker, farmer, woman, cadre, intellectual, other
Value ParseFieldValue(const Field& field, const std::string& text);

// Fails the command with "unknown <noun> '<id>'" unless `id` names a row of `table`.
void CheckReference(Db& db, const std::string& table, const std::string& noun,
                    const std::string& id);

// True when a row of `table` has this id.
bool RowExists(Db& db, const std::string& table, const std::string& id);

}  // namespace liaison::cli
