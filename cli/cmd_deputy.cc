// liaison deputy add|edit|delete|list: city-level and town-level deputies. A
// town-level deputy belongs to a town office: subdistrict offices have none (voter
// representatives stand in for them), and city offices and municipal groups hold
// city-level deputies only.
#include "domain.h"

namespace liaison::cli {

TableSpec DeputySpec() {
  TableSpec s;
  s.command = "deputy";
  s.table = "deputies";
  s.noun = "deputy";
  s.plural = "deputies";
  s.about = "Deputies of the People's Congress (人大代表), city-level or town-level";
  s.example =
      "liaison deputy add --db town-a.db --name \"Zhang Wei (张伟)\" --level town "
      "--office town-a --sector agriculture";
  s.edit_example = "liaison deputy edit --db town-a.db --id ID --sector education";
  const std::vector<std::string> levels = {"city", "town"};
  s.fields = {
      TextField("name", "Full name").Required(),
      EnumField("level", "Level of the congress the deputy was elected to", levels).Required(),
      RefField("office_id", "Office the deputy belongs to", "offices", "office").OwnOffice(),
      TextField("sector", "Sector or field of work"),
  };
  s.filters = {
      {RefField("office_id", "Only deputies of this office", "offices", "office"), "office_id = ?"},
      {EnumField("level", "Only deputies of this level", levels), "level = ?"},
      {TextField("sector", "Only deputies of this sector"), "sector = ?"},
  };
  s.dependents = {
      {"group_members", "deputy_id", "group memberships"},
      {"contact_links", "from_deputy_id", "contact links"},
      {"contact_links", "to_deputy_id", "contact links"},
      {"attendance", "deputy_id", "attendance records"},
      {"info_reports", "deputy_id", "information reports"},
      {"commitments", "deputy_id", "commitments"},
  };
  s.order_by = "office_id, level, name";
  s.check = [](WriteContext& ctx) {
    const std::string office = RowText(ctx.row, "office_id");
    const std::string kind = OfficeKind(ctx.db(), office);
    if (RowText(ctx.row, "level") == "town" && kind == "subdistrict") {
      Fail("subdistrict office " + office +
           " has no town-level deputies: record a voter representative instead "
           "(liaison voter add --representative)");
    }
    if (RowText(ctx.row, "level") == "town" && kind != "town") {
      Fail("a town-level deputy belongs to a town office, and " + office + " is a " + kind +
           " office");
    }
    if (!ctx.is_add() && RowText(ctx.row, "level") != RowText(*ctx.stored, "level") &&
        CountRows(ctx.db(), "contact_links", "from_deputy_id = ?1 OR to_deputy_id = ?1", ctx.id) >
            0) {
      Fail("deputy '" + ctx.id + "' has contact links: delete them before changing --level");
    }
  };
  return s;
}

}  // namespace liaison::cli
