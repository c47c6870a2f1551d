// liaison voter add|edit|delete|list: voters in the deputies' contact network, by
// category; a voter representative (选民代表) stands in for a town-level deputy in a
// subdistrict. Voter data is personal: an office keeps its own voters.
#include "domain.h"

namespace liaison::cli {

TableSpec VoterSpec() {
  TableSpec s;
  s.command = "voter";
  s.table = "voters";
  s.noun = "voter";
  s.plural = "voters";
  s.about = "Voters (选民) and voter representatives (选民代表)";
  s.example =
      "liaison voter add --db town-a.db --name \"Li Na (李娜)\" --category woman "
      "--contact 138-0000-0001";
  s.edit_example = "liaison voter edit --db town-b.db --id ID --representative";
  const std::vector<std::string> categories = {"worker", "farmer",       "woman",
                                               "cadre",  "intellectual", "other"};
  s.fields = {
      TextField("name", "Full name").Required(),
      EnumField("category", "Category", categories).Required(),
      FlagField("is_representative", "A voter representative, standing in for a town deputy"),
      RefField("office_id", "Office whose voter this is", "offices", "office").OwnOffice(),
      TextField("contact", "Contact details"),
  };
  s.filters = {
      {RefField("office_id", "Only voters of this office", "offices", "office"), "office_id = ?"},
      {EnumField("category", "Only voters of this category", categories), "category = ?"},
      {FlagField("is_representative", "Only voter representatives"), "is_representative = 1"},
  };
  s.text_columns = {"id", "name", "category", "is_representative", "office_id", "contact"};
  s.dependents = {
      {"contact_links", "from_voter_id", "contact links"},
      {"contact_links", "to_voter_id", "contact links"},
  };
  s.order_by = "office_id, is_representative DESC, name";
  s.check = [](WriteContext& ctx) {
    if (!ctx.is_add() &&
        RowText(ctx.row, "is_representative") != RowText(*ctx.stored, "is_representative") &&
        CountRows(ctx.db(), "contact_links", "from_voter_id = ?1 OR to_voter_id = ?1", ctx.id) >
            0) {
      Fail("voter '" + ctx.id +
           "' has contact links: delete them before changing --representative");
    }
  };
  return s;
}

}  // namespace liaison::cli
