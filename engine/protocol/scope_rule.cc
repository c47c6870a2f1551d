// The scope rule both ends of a round share (scope_rule.h).
#include "protocol/scope_rule.h"

#include "liaison/store.h"

namespace liaison {
namespace {

struct AudienceRule {
  const char* table;
  const char* column;
};

// Tables whose hub-owned rows are addressed to one office.
constexpr AudienceRule kAudience[] = {
    {"scores", "office_id"},  // the city office's scores of one office
    {"voters", "office_id"},  // personal data: only the voter's own office
};

std::string Quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

}  // namespace

const char* AudienceColumn(const std::string& table) {
  for (const auto& rule : kAudience) {
    if (table == rule.table) return rule.column;
  }
  return "";
}

std::map<std::string, std::string> ScopeConditions(const std::vector<std::string>& tables,
                                                   const std::string& office,
                                                   const std::string& hub_office) {
  std::map<std::string, std::string> out;
  for (const auto& table : tables) {
    std::string audience = AudienceColumn(table);
    std::string hub_rows = "owner = " + Quote(hub_office);
    if (!audience.empty()) {
      hub_rows += " AND coalesce(" + QuoteIdent(audience) + " = " + Quote(office) + ", 1)";
    }
    out[table] = "owner = " + Quote(office) + " OR (" + hub_rows + ")";
  }
  return out;
}

}  // namespace liaison
