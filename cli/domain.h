// The domain commands: one TableSpec per command, each defined in its own
// cmd_<command>.cc, and the helpers their rules share. RegisterDomainCommands
// (command.h) registers them all through the record layer (records.h).
//
// Thread-safety: as records.h.
#pragma once

#include <string>

#include "records.h"

namespace liaison::cli {

TableSpec OfficeSpec();
TableSpec DeputySpec();
TableSpec GroupSpec();
TableSpec MemberSpec();
TableSpec VoterSpec();
TableSpec LinkSpec();
TableSpec ActivitySpec();
TableSpec ReportSpec();
TableSpec CommitmentSpec();
TableSpec CriterionSpec();
TableSpec ScoreSpec();
TableSpec CaseSpec();

// The kind of office `office_id` ("town", "subdistrict", ...), or "" when unknown.
std::string OfficeKind(Db& db, const std::string& office_id);

// The number of rows of `table` where `condition` (with one `?`) holds for `value`.
std::int64_t CountRows(Db& db, const std::string& table, const std::string& condition,
                       const std::string& value);

// Listing column: the name of the deputy in column `column` of `table`.
ListColumn DeputyNameColumn(const std::string& table, const std::string& column);

}  // namespace liaison::cli
