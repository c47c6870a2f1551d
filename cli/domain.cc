// Registers the domain commands (office, deputy, group, member, voter, link,
// activity, report, commitment, criterion, score, case) and holds their shared helpers.
#include "domain.h"

namespace liaison::cli {

std::string OfficeKind(Db& db, const std::string& office_id) {
  std::optional<Row> office = LoadRow(db, "offices", office_id);
  return office ? RowText(*office, "kind") : "";
}

std::int64_t CountRows(Db& db, const std::string& table, const std::string& condition,
                       const std::string& value) {
  Stmt stmt =
      Check(db.Prepare("SELECT count(*) FROM " + QuoteIdent(table) + " WHERE " + condition));
  stmt.Bind(1, std::string_view(value));
  Check(stmt.Step());
  return stmt.Int(0);
}

ListColumn DeputyNameColumn(const std::string& table, const std::string& column) {
  return {"deputy_name", "SELECT name FROM deputies WHERE id = " + table + "." + column};
}

void RegisterDomainCommands(CLI::App& app) {
  for (auto spec : {OfficeSpec, DeputySpec, GroupSpec, MemberSpec, VoterSpec, LinkSpec,
                    ActivitySpec, ReportSpec, CommitmentSpec, CriterionSpec, ScoreSpec, CaseSpec}) {
    RegisterRecordCommand(app, spec());
  }
}

}  // namespace liaison::cli
