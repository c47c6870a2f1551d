// The scope rule (engine/hub/HUB.md, "Scope") as both ends of a sync round apply it
// to whole tables: which rows of each replicated table reach an office. The hub uses
// it to compute the digest of an office's scope, and the office to compute the same
// digest over its replica (the Verify message, engine/protocol/WIRE.md). Row-by-row
// lookups at the hub are hub/scope.h.
//
// Every replicated table's owner column is `owner` (schema/README.md). A table may
// also name an audience column: a row owned by the hub's office then reaches only
// the office the column names, instead of every office.
//
// Thread-safety: pure functions.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace liaison {

// The audience column of `table`, or "" when its hub-owned rows reach every office.
const char* AudienceColumn(const std::string& table);

// SQL conditions selecting `office`'s scope in each of `tables`, for DigestTables
// (hub_office: the hub's office id).
std::map<std::string, std::string> ScopeConditions(const std::vector<std::string>& tables,
                                                   const std::string& office,
                                                   const std::string& hub_office);

}  // namespace liaison
