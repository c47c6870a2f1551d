// liaison member add|edit|delete|list: the deputies of a deputy group, a set whose
// row id is '<group_id>/<deputy_id>'.
#include "domain.h"

namespace liaison::cli {

TableSpec MemberSpec() {
  TableSpec s;
  s.command = "member";
  s.table = "group_members";
  s.noun = "group member";
  s.plural = "group members";
  s.about = "Members of deputy groups, with their role";
  s.example = "liaison member add --db town-a.db --group GROUP --deputy DEPUTY --role leader";
  s.edit_example = "liaison member edit --db town-a.db --group GROUP --deputy DEPUTY --role member";
  s.id_rule = IdRule::kDerived;
  const std::vector<std::string> roles = {"leader", "member"};
  s.fields = {
      RefField("group_id", "Deputy group id", "deputy_groups", "deputy group").Key(),
      RefField("deputy_id", "Deputy id", "deputies", "deputy").Key(),
      EnumField("role", "Role in the group", roles).Default("member"),
  };
  s.filters = {
      {RefField("group_id", "Only members of this group", "deputy_groups", "deputy group"),
       "group_id = ?"},
      {RefField("deputy_id", "Only groups of this deputy", "deputies", "deputy"), "deputy_id = ?"},
      {EnumField("role", "Only members with this role", roles), "role = ?"},
  };
  s.list_columns = {DeputyNameColumn("group_members", "deputy_id")};
  s.text_columns = {"group_id", "deputy_id", "role", "deputy_name"};
  s.order_by = "group_id, role, deputy_id";
  return s;
}

}  // namespace liaison::cli
