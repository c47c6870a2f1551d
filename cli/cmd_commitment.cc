// liaison commitment add|edit|delete|list: each deputy's tailored plan tasks
// (量体裁衣) and public commitments of practical deeds (承诺办实事), with their
// status; one that was not done says why.
#include "domain.h"

namespace liaison::cli {

TableSpec CommitmentSpec() {
  TableSpec s;
  s.command = "commitment";
  s.table = "commitments";
  s.noun = "commitment";
  s.plural = "commitments";
  s.about = "Plan tasks and public commitments of deputies, with status";
  s.example =
      "liaison commitment add --db town-a.db --deputy DEPUTY --kind commitment "
      "--title \"Street lights for Xincun\" --due-on 2026-09-30";
  s.edit_example =
      "liaison commitment edit --db town-a.db --id ID --status not_done --reason \"No budget\"";
  const std::vector<std::string> kinds = {"plan_task", "commitment"};
  const std::vector<std::string> statuses = {"planned", "in_progress", "done", "not_done"};
  s.fields = {
      RefField("deputy_id", "Deputy who committed", "deputies", "deputy").Required(),
      EnumField("kind", "Plan task or public commitment", kinds).Required(),
      TextField("title", "What is to be done").Required(),
      DateField("due_on", "Due date"),
      EnumField("status", "Status", statuses).Default("planned"),
      TextField("reason", "Why it was not done (required with --status not_done)"),
  };
  s.filters = {
      {RefField("deputy_id", "Only this deputy's", "deputies", "deputy"), "deputy_id = ?"},
      {RefField("office_id", "Only those of this office's deputies", "offices", "office"),
       "deputy_id IN (SELECT id FROM deputies WHERE office_id = ?)"},
      {EnumField("kind", "Only this kind", kinds), "kind = ?"},
      {EnumField("status", "Only this status", statuses), "status = ?"},
  };
  s.list_columns = {DeputyNameColumn("commitments", "deputy_id")};
  s.text_columns = {"id", "deputy_name", "kind", "title", "due_on", "status", "reason"};
  s.order_by = "deputy_id, due_on, id";
  s.check = [](WriteContext& ctx) {
    if (RowText(ctx.row, "status") == "not_done" && RowText(ctx.row, "reason").empty()) {
      Fail("a commitment that was not done needs --reason (why it was not done)");
    }
  };
  return s;
}

}  // namespace liaison::cli
