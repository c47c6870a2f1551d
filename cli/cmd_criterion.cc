// liaison criterion add|edit|delete|list: the city office's evaluation method (考查评估),
// criteria per year with their maximum points.
#include "domain.h"

namespace liaison::cli {

TableSpec CriterionSpec() {
  TableSpec s;
  s.command = "criterion";
  s.table = "criteria";
  s.noun = "criterion";
  s.plural = "criteria";
  s.about = "Evaluation criteria per year, with maximum points";
  s.example =
      "liaison criterion add --db city.db --year 2026 --code A1 "
      "--title \"Deputy groups meet every quarter\" --max-points 20";
  s.edit_example = "liaison criterion edit --db city.db --id ID --max-points 25";
  s.fields = {
      IntField("year", "Year of the evaluation", 2000, 2100).Required(),
      TextField("code", "Short code, e.g. A1").Required(),
      TextField("title", "What is evaluated").Required(),
      IntField("max_points", "Maximum points", 1, 1000).Required(),
  };
  s.filters = {
      {IntField("year", "Only criteria of this year", 2000, 2100), "year = CAST(? AS INTEGER)"},
  };
  s.dependents = {{"scores", "criterion_id", "scores"}};
  s.order_by = "year, code";
  s.check = [](WriteContext& ctx) {
    if (ctx.is_add()) return;
    Stmt stmt = Check(ctx.db().Prepare("SELECT max(points) FROM scores WHERE criterion_id = ?"));
    stmt.Bind(1, std::string_view(ctx.id));
    Check(stmt.Step());
    std::int64_t max_points = std::get<std::int64_t>(ctx.row["max_points"]);
    if (!stmt.IsNull(0) && stmt.Int(0) > max_points) {
      Fail("criterion '" + ctx.id + "' has a score of " + std::to_string(stmt.Int(0)) +
           " points: --max-points can not go below it");
    }
  };
  return s;
}

}  // namespace liaison::cli
