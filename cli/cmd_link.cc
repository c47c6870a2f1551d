// liaison link add|end|delete|list: the contact chain (民情绿色通道), a set whose row
// id is '<from>><to>'. A link runs from a city-level deputy to a town-level deputy
// or a voter representative, or from a town-level deputy or a voter representative
// to a voter who is not a representative. `end` sets the day it ended.
#include "domain.h"

namespace liaison::cli {
namespace {

// One end of a link: a deputy (city or town) or a voter (plain or representative).
struct LinkEnd {
  enum class Role { kCityDeputy, kTownDeputy, kRepresentative, kVoter };
  Role role;
  bool is_deputy;
};

LinkEnd ResolveEnd(Db& db, const std::string& id) {
  if (std::optional<Row> deputy = LoadRow(db, "deputies", id)) {
    bool city = RowText(*deputy, "level") == "city";
    return {city ? LinkEnd::Role::kCityDeputy : LinkEnd::Role::kTownDeputy, true};
  }
  if (std::optional<Row> voter = LoadRow(db, "voters", id)) {
    bool rep = RowText(*voter, "is_representative") == "1";
    return {rep ? LinkEnd::Role::kRepresentative : LinkEnd::Role::kVoter, false};
  }
  Fail("unknown deputy or voter '" + id + "'");
}

void CheckChain(const std::string& from_id, LinkEnd from, const std::string& to_id, LinkEnd to) {
  using Role = LinkEnd::Role;
  switch (from.role) {
    case Role::kCityDeputy:
      if (to.role == Role::kTownDeputy || to.role == Role::kRepresentative) return;
      Fail("a city-level deputy links to a town-level deputy or a voter representative, and '" +
           to_id + "' is neither");
    case Role::kTownDeputy:
    case Role::kRepresentative:
      if (to.role == Role::kVoter) return;
      Fail(
          "a town-level deputy or voter representative links to voters who are not "
          "representatives, and '" +
          to_id + "' is not such a voter");
    case Role::kVoter:
      break;
  }
  Fail(
      "a link starts at a city-level deputy, a town-level deputy or a voter representative, "
      "and '" +
      from_id + "' is a voter");
}

}  // namespace

TableSpec LinkSpec() {
  TableSpec s;
  s.command = "link";
  s.table = "contact_links";
  s.noun = "link";
  s.plural = "contact links";
  s.about = "Contact links: city deputy -> town deputy or voter representative -> voter";
  s.example = "liaison link add --db town-a.db --from DEPUTY --to VOTER --started-on 2026-03-01";
  s.edit_verb = "end";
  s.edit_about = "Record the day a link ended (or clear it with --ended-on \"\")";
  s.edit_example = "liaison link end --db town-a.db --from DEPUTY --to VOTER --ended-on 2026-12-31";
  s.id_rule = IdRule::kDerived;
  s.id_separator = ">";
  s.fields = {
      TextField("", "Deputy or voter representative the link starts at (id)").Opt("--from").Key(),
      TextField("", "Deputy, voter representative or voter it reaches (id)").Opt("--to").Key(),
      DateField("started_on", "Day the link started").DefaultToday().Fixed(),
      DateField("ended_on", "Day the link ended"),
  };
  s.filters = {
      {TextField("", "Only links from this deputy or representative").Opt("--from"),
       "coalesce(from_deputy_id, from_voter_id) = ?"},
      {TextField("", "Only links to this deputy or voter").Opt("--to"),
       "coalesce(to_deputy_id, to_voter_id) = ?"},
      {FlagField("", "Only links that have not ended").Opt("--active"),
       "ended_on IS NULL OR ended_on > date('now', 'localtime')"},
  };
  auto name_of = [](const std::string& prefix) {
    return "coalesce((SELECT name FROM deputies WHERE id = contact_links." + prefix +
           "_deputy_id), (SELECT name FROM voters WHERE id = contact_links." + prefix +
           "_voter_id))";
  };
  s.list_columns = {{"from_name", name_of("from")}, {"to_name", name_of("to")}};
  s.text_columns = {"id", "from_name", "to_name", "started_on", "ended_on"};
  s.order_by = "started_on, id";
  s.check = [](WriteContext& ctx) {
    const std::string started = RowText(ctx.row, "started_on");
    const std::string ended = RowText(ctx.row, "ended_on");
    if (!ended.empty() && ended < started) {
      Fail("--ended-on " + ended + " is before the link started (" + started + ")");
    }
    if (!ctx.is_add()) return;
    const std::string from_id = ctx.inputs.Text("--from"), to_id = ctx.inputs.Text("--to");
    LinkEnd from = ResolveEnd(ctx.db(), from_id), to = ResolveEnd(ctx.db(), to_id);
    CheckChain(from_id, from, to_id, to);
    auto id_or_null = [](bool use, const std::string& id) -> Value {
      return use ? Value(id) : Value(std::monostate{});
    };
    ctx.row["from_deputy_id"] = id_or_null(from.is_deputy, from_id);
    ctx.row["from_voter_id"] = id_or_null(!from.is_deputy, from_id);
    ctx.row["to_deputy_id"] = id_or_null(to.is_deputy, to_id);
    ctx.row["to_voter_id"] = id_or_null(!to.is_deputy, to_id);
  };
  return s;
}

}  // namespace liaison::cli
