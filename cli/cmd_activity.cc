// liaison activity add|edit|delete|list: dated activities of a deputy group or an
// office, with the deputies who attended (a set, row id '<activity_id>/<deputy_id>').
// Deleting an activity deletes its attendance with it.
#include "domain.h"

namespace liaison::cli {
namespace {

void WriteAttendance(WriteContext& ctx) {
  Db& db = ctx.db();
  const std::string owner = ctx.replica.info().office_id.value();
  if (ctx.inputs.Given("--attendee")) {
    Stmt insert = Check(db.Prepare(
        "INSERT INTO attendance (id, owner, activity_id, deputy_id) SELECT ?1, ?2, ?3, ?4 "
        "WHERE NOT EXISTS (SELECT 1 FROM attendance WHERE id = ?1)"));
    for (const auto& deputy : ctx.inputs.List("--attendee")) {
      insert.Bind(1, std::string_view(ctx.id + "/" + deputy))
          .Bind(2, std::string_view(owner))
          .Bind(3, std::string_view(ctx.id))
          .Bind(4, std::string_view(deputy));
      Check(insert.Run());
      insert.Reset();
    }
  }
  if (!ctx.is_add() && ctx.inputs.Given("--remove-attendee")) {
    Stmt remove = Check(db.Prepare("DELETE FROM attendance WHERE id = ?"));
    for (const auto& deputy : ctx.inputs.List("--remove-attendee")) {
      if (!RowExists(db, "attendance", ctx.id + "/" + deputy)) {
        Fail("deputy '" + deputy + "' did not attend activity '" + ctx.id + "'");
      }
      remove.Bind(1, std::string_view(ctx.id + "/" + deputy));
      Check(remove.Run());
      remove.Reset();
    }
  }
}

}  // namespace

TableSpec ActivitySpec() {
  TableSpec s;
  s.command = "activity";
  s.table = "activities";
  s.noun = "activity";
  s.plural = "activities";
  s.about = "Activities of deputy groups and offices, with attendance";
  s.example =
      "liaison activity add --db town-a.db --kind research --held-on 2026-03-12 "
      "--title \"Rural roads survey\" --group GROUP --attendee DEPUTY1 --attendee DEPUTY2";
  s.edit_example =
      "liaison activity edit --db town-a.db --id ID --summary \"...\" --attendee DEPUTY3";
  const std::vector<std::string> kinds = {
      "research",         "observation",       "inspection",  "study",
      "congress_session", "presidium_meeting", "supervision", "other"};
  s.fields = {
      EnumField("kind", "Kind of activity", kinds).Required(),
      DateField("held_on", "Day it was held").Required(),
      TextField("title", "Title").Required(),
      TextField("summary", "What was done and found"),
      RefField("group_id", "Deputy group that held it", "deputy_groups", "deputy group"),
      RefField("office_id", "Office that held it", "offices", "office").OwnOffice(),
      RefField("", "Deputy who attended", "deputies", "deputy").Opt("--attendee").Repeatable(),
      RefField("", "Deputy to take off the attendance", "deputies", "deputy")
          .Opt("--remove-attendee")
          .Repeatable()
          .EditOnly(),
  };
  s.filters = {
      {RefField("office_id", "Only activities of this office", "offices", "office"),
       "office_id = ?"},
      {RefField("group_id", "Only activities of this group", "deputy_groups", "deputy group"),
       "group_id = ?"},
      {EnumField("kind", "Only activities of this kind", kinds), "kind = ?"},
      {IntField("", "Only activities held in this year", 2000, 2100).Opt("--year"),
       "strftime('%Y', held_on) = ?"},
      {RefField("", "Only activities this deputy attended", "deputies", "deputy").Opt("--deputy"),
       "id IN (SELECT activity_id FROM attendance WHERE deputy_id = ?)"},
  };
  s.list_columns = {
      {"attendees",
       "SELECT json_group_array(deputy_id) FROM (SELECT deputy_id FROM attendance "
       "WHERE activity_id = activities.id ORDER BY deputy_id)",
       /*json=*/true},
      {"attendee_names",
       "SELECT group_concat(name, ', ') FROM (SELECT d.name FROM attendance a JOIN deputies d "
       "ON d.id = a.deputy_id WHERE a.activity_id = activities.id ORDER BY d.name)"},
  };
  s.text_columns = {"id", "kind", "held_on", "title", "office_id", "attendee_names"};
  s.dependents = {{"attendance", "activity_id", "attendance records", /*cascade=*/true}};
  s.order_by = "held_on, id";
  s.after_write = WriteAttendance;
  return s;
}

}  // namespace liaison::cli
