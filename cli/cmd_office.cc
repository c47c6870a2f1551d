// liaison office add|edit|delete|list: the city office, town and subdistrict offices
// and municipal deputy groups. Offices take an explicit --id: it is the owner value
// of the office's rows and names its certificate.
#include "domain.h"

namespace liaison::cli {

TableSpec OfficeSpec() {
  TableSpec s;
  s.command = "office";
  s.table = "offices";
  s.noun = "office";
  s.plural = "offices";
  s.about = "Offices: the city office, town and subdistrict offices, municipal deputy groups";
  s.example =
      "liaison office add --db city.db --id town-a --name \"Qingshan Town (青山镇)\" "
      "--kind town --parent city";
  s.edit_example = "liaison office edit --db city.db --id town-a --name \"Qingshan Town\"";
  s.id_rule = IdRule::kExplicit;
  const std::vector<std::string> kinds = {"city", "town", "subdistrict", "municipal_group"};
  s.fields = {
      TextField("name", "Office name").Required(),
      EnumField("kind", "Kind of office", kinds).Required(),
      RefField("parent_id", "Parent office id", "offices", "office"),
      TextField("lead_department", "Lead department (municipal groups)"),
  };
  s.filters = {
      {EnumField("kind", "Only offices of this kind", kinds), "kind = ?"},
      {RefField("parent_id", "Only offices under this parent", "offices", "office"),
       "parent_id = ?"},
  };
  s.dependents = {
      {"offices", "parent_id", "offices"},
      {"deputies", "office_id", "deputies"},
      {"deputy_groups", "office_id", "deputy groups"},
      {"voters", "office_id", "voters"},
      {"activities", "office_id", "activities"},
      {"scores", "office_id", "scores"},
      {"exemplary_cases", "office_id", "exemplary cases"},
  };
  s.order_by = "kind = 'city' DESC, id";
  s.check = [](WriteContext& ctx) {
    if (RowText(ctx.row, "parent_id") == ctx.id)
      Fail("office " + ctx.id + " can not be its own parent");
    if (RowText(ctx.row, "kind") != "town") {
      std::int64_t town_deputies =
          CountRows(ctx.db(), "deputies", "office_id = ? AND level = 'town'", ctx.id);
      if (town_deputies > 0) {
        Fail("office " + ctx.id + " has " + std::to_string(town_deputies) +
             " town-level deputies: only a town office has them");
      }
    }
  };
  return s;
}

}  // namespace liaison::cli
