// liaison score add|edit|delete|list: evaluation scores per office and criterion, a
// set whose row id is '<office_id>/<criterion_id>/<assessment>'. An office records
// only its own self-assessment; city scores are recorded at the hub.
#include "domain.h"

namespace liaison::cli {

TableSpec ScoreSpec() {
  TableSpec s;
  s.command = "score";
  s.table = "scores";
  s.noun = "score";
  s.plural = "scores";
  s.about = "Evaluation scores: self-assessments and the city's November scores";
  s.example =
      "liaison score add --db town-a.db --office town-a --criterion CRITERION "
      "--assessment self --points 18 --assessor \"Wang Fang (王芳)\"";
  s.edit_example =
      "liaison score edit --db city.db --office town-a --criterion CRITERION --assessment city "
      "--points 17";
  s.id_rule = IdRule::kDerived;
  const std::vector<std::string> assessments = {"self", "city"};
  s.fields = {
      RefField("office_id", "Office scored", "offices", "office").Key(),
      RefField("criterion_id", "Criterion", "criteria", "criterion").Key(),
      EnumField("assessment", "Who assessed", assessments).Key(),
      IntField("points", "Points", 0, 1000).Required(),
      TextField("assessor", "Name of the assessor").Required(),
      TextField("note", "Note"),
  };
  s.filters = {
      {RefField("office_id", "Only scores of this office", "offices", "office"), "office_id = ?"},
      {RefField("criterion_id", "Only scores of this criterion", "criteria", "criterion"),
       "criterion_id = ?"},
      {EnumField("assessment", "Only this assessment", assessments), "assessment = ?"},
      {IntField("", "Only scores of this year's criteria", 2000, 2100).Opt("--year"),
       "criterion_id IN (SELECT id FROM criteria WHERE year = CAST(? AS INTEGER))"},
  };
  s.list_columns = {
      {"criterion_code", "SELECT code FROM criteria WHERE id = scores.criterion_id"},
      {"max_points", "SELECT max_points FROM criteria WHERE id = scores.criterion_id"},
  };
  s.text_columns = {"office_id",  "criterion_code", "assessment", "points",
                    "max_points", "assessor",       "note"};
  s.order_by = "office_id, criterion_code, assessment";
  s.check = [](WriteContext& ctx) {
    const ReplicaInfo& info = ctx.replica.info();
    const std::string office = RowText(ctx.row, "office_id");
    if (ctx.is_add() && info.role == Role::kOffice) {
      if (RowText(ctx.row, "assessment") == "city") {
        Fail("city scores are recorded at the hub (the city office), not by office " +
             info.office_id.value());
      }
      if (office != info.office_id.value()) {
        Fail("office " + info.office_id.value() + " records only its own self-assessment, not " +
             office + "'s");
      }
    }
    std::optional<Row> criterion = LoadRow(ctx.db(), "criteria", RowText(ctx.row, "criterion_id"));
    if (!criterion) Fail("unknown criterion '" + RowText(ctx.row, "criterion_id") + "'");
    std::int64_t points = std::get<std::int64_t>(ctx.row["points"]);
    std::int64_t max_points = std::get<std::int64_t>((*criterion)["max_points"]);
    if (points > max_points) {
      Fail("--points " + std::to_string(points) + " is more than criterion " +
           RowText(*criterion, "code") + " allows (" + std::to_string(max_points) + ")");
    }
  };
  return s;
}

}  // namespace liaison::cli
