// liaison group add|edit|delete|list: deputy groups (代表小组) with their venue.
// Deleting a group deletes its memberships with it.
#include "domain.h"

namespace liaison::cli {

TableSpec GroupSpec() {
  TableSpec s;
  s.command = "group";
  s.table = "deputy_groups";
  s.noun = "deputy group";
  s.plural = "deputy groups";
  s.about = "Deputy groups (代表小组) and their activity venues";
  s.example =
      "liaison group add --db town-a.db --name \"Qingshan Group One (青山第一代表小组)\" "
      "--venue \"Deputies' Home, Qingshan\"";
  s.edit_example = "liaison group edit --db town-a.db --id ID --venue \"Village hall\"";
  s.fields = {
      TextField("name", "Group name").Required(),
      RefField("office_id", "Office the group belongs to", "offices", "office").OwnOffice(),
      TextField("venue", "Activity venue (活动场所)"),
  };
  s.filters = {
      {RefField("office_id", "Only groups of this office", "offices", "office"), "office_id = ?"},
  };
  s.list_columns = {
      {"members", "SELECT count(*) FROM group_members WHERE group_id = deputy_groups.id"},
  };
  s.dependents = {
      {"group_members", "group_id", "memberships", /*cascade=*/true},
      {"activities", "group_id", "activities"},
  };
  s.order_by = "office_id, name";
  return s;
}

}  // namespace liaison::cli
