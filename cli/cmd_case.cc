// liaison case add|edit|delete|list: exemplary cases (典型) that offices report to the
// Personnel and Deputy Affairs Office for publicity.
#include "domain.h"

namespace liaison::cli {

TableSpec CaseSpec() {
  TableSpec s;
  s.command = "case";
  s.table = "exemplary_cases";
  s.noun = "exemplary case";
  s.plural = "exemplary cases";
  s.about = "Exemplary cases (典型) reported for publicity";
  s.example =
      "liaison case add --db town-a.db --reported-on 2026-06-18 "
      "--title \"Green channel settles a land dispute\" --description \"...\"";
  s.edit_example = "liaison case edit --db town-a.db --id ID --description \"...\"";
  s.fields = {
      RefField("office_id", "Office that found the case", "offices", "office").OwnOffice(),
      DateField("reported_on", "Day it was reported").Required(),
      TextField("title", "Title").Required(),
      TextField("description", "What happened and why it is exemplary"),
  };
  s.filters = {
      {RefField("office_id", "Only cases of this office", "offices", "office"), "office_id = ?"},
      {IntField("", "Only cases reported in this year", 2000, 2100).Opt("--year"),
       "strftime('%Y', reported_on) = ?"},
  };
  s.text_columns = {"id", "office_id", "reported_on", "title"};
  s.order_by = "reported_on, id";
  return s;
}

}  // namespace liaison::cli
