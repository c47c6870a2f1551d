#include "fields.h"

#include <charconv>
#include <ctime>

#include "command.h"

namespace liaison::cli {
namespace {

Field MakeField(std::string column, FieldKind kind, std::string help) {
  Field f;
  f.option = column.empty() ? "" : OptionForColumn(column);
  f.column = std::move(column);
  f.kind = kind;
  f.help = std::move(help);
  return f;
}

// "--held-on" -> "held on", for messages such as "unknown held on 'x'".
std::string OptionWord(const std::string& option) {
  std::string word = option.substr(option.find_first_not_of('-'));
  for (char& c : word) {
    if (c == '-') c = ' ';
  }
  return word;
}

std::string JoinChoices(const std::vector<std::string>& choices) {
  std::string out;
  for (const auto& c : choices) out += (out.empty() ? "" : ", ") + c;
  return out;
}

}  // namespace

std::string RowText(const Row& row, const std::string& column) {
  auto it = row.find(column);
  if (it == row.end() || std::holds_alternative<std::monostate>(it->second)) return "";
  return ValueToText(it->second);
}

Field TextField(std::string column, std::string help) {
  return MakeField(std::move(column), FieldKind::kText, std::move(help));
}

Field DateField(std::string column, std::string help) {
  return MakeField(std::move(column), FieldKind::kDate, std::move(help) + " (YYYY-MM-DD)");
}

Field IntField(std::string column, std::string help, std::int64_t min, std::int64_t max) {
  Field f = MakeField(std::move(column), FieldKind::kInteger, std::move(help));
  f.min = min;
  f.max = max;
  return f;
}

Field EnumField(std::string column, std::string help, std::vector<std::string> choices) {
  Field f =
      MakeField(std::move(column), FieldKind::kEnum, std::move(help) + ": " + JoinChoices(choices));
  f.choices = std::move(choices);
  return f;
}

Field FlagField(std::string column, std::string help) {
  return MakeField(std::move(column), FieldKind::kFlag, std::move(help));
}

Field RefField(std::string column, std::string help, std::string ref_table, std::string ref_noun) {
  Field f = MakeField(std::move(column), FieldKind::kRef, std::move(help));
  f.ref_table = std::move(ref_table);
  f.ref_noun = std::move(ref_noun);
  return f;
}

std::string OptionForColumn(const std::string& column) {
  std::string name = column;
  if (name.starts_with("is_")) name = name.substr(3);
  if (name.ends_with("_id")) name.resize(name.size() - 3);
  for (char& c : name) {
    if (c == '_') c = '-';
  }
  return "--" + name;
}

bool IsIsoDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  auto number = [&](std::size_t from, std::size_t len) {
    int n = 0;
    for (std::size_t i = from; i < from + len; ++i) n = n * 10 + (s[i] - '0');
    return n;
  };
  int year = number(0, 4), month = number(5, 2), day = number(8, 2);
  if (month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  int days = kDays[month - 1] + (month == 2 && leap ? 1 : 0);
  return day <= days;
}

std::string Today() {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char buf[11];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &local);
  return buf;
}

Value ParseFieldValue(const Field& field, const std::string& text) {
  const std::string& opt = field.option;
  switch (field.kind) {
    case FieldKind::kText:
    case FieldKind::kRef:
      if (text.empty()) {
        if (field.required) Fail(opt + " must not be empty");
        return std::monostate{};
      }
      return text;
    case FieldKind::kDate:
      if (text.empty() && !field.required) return std::monostate{};
      if (!IsIsoDate(text)) Fail("malformed date '" + text + "' for " + opt + ": use YYYY-MM-DD");
      return text;
    case FieldKind::kInteger: {
      std::int64_t n = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
        Fail("malformed number '" + text + "' for " + opt + ": use a whole number");
      }
      if (n < field.min || n > field.max) {
        std::string range =
            field.max == std::numeric_limits<std::int64_t>::max()
                ? "at least " + std::to_string(field.min)
                : "between " + std::to_string(field.min) + " and " + std::to_string(field.max);
        Fail(opt + " must be " + range + ", not " + text);
      }
      return n;
    }
    case FieldKind::kEnum:
      for (const auto& c : field.choices) {
        if (c == text) return text;
      }
      Fail("unknown " + OptionWord(opt) + " '" + text + "': use one of " +
           JoinChoices(field.choices));
    case FieldKind::kFlag:
      return std::int64_t{text == "1" ? 1 : 0};
  }
  Fail("internal: unhandled field kind for " + opt);
}

bool RowExists(Db& db, const std::string& table, const std::string& id) {
  Stmt stmt = Check(db.Prepare("SELECT 1 FROM " + QuoteIdent(table) + " WHERE id = ?"));
  stmt.Bind(1, std::string_view(id));
  return Check(stmt.Step());
}

void CheckReference(Db& db, const std::string& table, const std::string& noun,
                    const std::string& id) {
  if (!RowExists(db, table, id)) Fail("unknown " + noun + " '" + id + "'");
}

}  // namespace liaison::cli
