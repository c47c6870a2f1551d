// liaison report add|edit|delete|list: information reports (信息提报) that deputies
// send up the chain, with their handling status.
#include "domain.h"

namespace liaison::cli {

TableSpec ReportSpec() {
  TableSpec s;
  s.command = "report";
  s.table = "info_reports";
  s.noun = "information report";
  s.plural = "information reports";
  s.about = "Information reports (信息提报) from deputies, with handling status";
  s.example =
      "liaison report add --db town-a.db --deputy DEPUTY --reported-on 2026-04-02 "
      "--topic \"Irrigation canal repairs\" --content \"Villagers ask ...\"";
  s.edit_example = "liaison report edit --db town-a.db --id ID --status forwarded";
  const std::vector<std::string> statuses = {"submitted", "forwarded", "in_progress", "handled",
                                             "closed"};
  s.fields = {
      RefField("deputy_id", "Deputy who reports", "deputies", "deputy").Required(),
      DateField("reported_on", "Day it was reported").Required(),
      TextField("topic", "Topic").Required(),
      TextField("content", "What the deputy reports"),
      EnumField("status", "Handling status", statuses).Default("submitted"),
  };
  s.filters = {
      {RefField("deputy_id", "Only reports of this deputy", "deputies", "deputy"), "deputy_id = ?"},
      {RefField("office_id", "Only reports of this office's deputies", "offices", "office"),
       "deputy_id IN (SELECT id FROM deputies WHERE office_id = ?)"},
      {EnumField("status", "Only reports with this status", statuses), "status = ?"},
      {IntField("", "Only reports of this year", 2000, 2100).Opt("--year"),
       "strftime('%Y', reported_on) = ?"},
  };
  s.list_columns = {DeputyNameColumn("info_reports", "deputy_id")};
  s.text_columns = {"id", "deputy_name", "reported_on", "topic", "status"};
  s.order_by = "reported_on, id";
  return s;
}

}  // namespace liaison::cli
