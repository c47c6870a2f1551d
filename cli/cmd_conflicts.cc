// liaison conflicts --db F [--json] [--all] [--table T]
// liaison conflicts resolve --db F ID (--take-loser | --keep-winner)
//
// The conflict journal (engine/include/liaison/conflicts.h): the values that lost a
// merge, and their resolution. Taking the loser writes it back as a new local change,
// which syncs like any other; keeping the winner only marks the entry resolved.
#include <iostream>

#include "command.h"
#include "liaison/conflicts.h"
#include "liaison/json.h"
#include "records.h"

namespace liaison::cli {
namespace {

constexpr std::size_t kShownChars = 32;  // longer values are cut in the text table

// The last 8 characters of a replica id: its random part (the front is its time).
std::string ShortOrigin(const std::string& origin) {
  return origin.size() <= 8 ? origin : origin.substr(origin.size() - 8);
}

// `v` as JSON, cut after kShownChars characters (not bytes) with an ellipsis.
std::string ShownValue(const Value& v) {
  std::string text = JsonValue(v);
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (++chars > kShownChars) return text.substr(0, i) + "…";
  }
  return text;
}

std::string ShownSide(const ConflictSide& side) {
  return ShownValue(side.value) + " @ " + side.clock.hlc.ToString() + " (" +
         ShortOrigin(side.clock.origin.value()) + ")";
}

// "2026-11-27T08:14:13.123Z" -> "2026-11-27 08:14:13"
std::string ShownTime(const std::string& iso) {
  std::string out = iso.substr(0, 19);
  if (out.size() > 10 && out[10] == 'T') out[10] = ' ';
  return out;
}

void WriteSide(JsonWriter& w, const ConflictSide& side) {
  // clang-format off
  w.BeginObject()
      .Key("value").Val(side.value)
      .Key("hlc").Int(side.clock.hlc.as_int64())
      .Key("time").String(side.clock.hlc.ToString())
      .Key("origin").String(side.clock.origin.value())
      .EndObject();
  // clang-format on
}

void WriteOptional(JsonWriter& w, const std::optional<std::string>& s) {
  if (s) {
    w.String(*s);
  } else {
    w.Null();
  }
}

void PrintJson(const std::vector<ConflictEntry>& entries) {
  JsonWriter w;
  w.BeginArray();
  for (const auto& e : entries) {
    // clang-format off
    w.BeginObject()
        .Key("id").Int(e.id.value())
        .Key("detected_at").String(e.detected_at)
        .Key("table").String(e.table)
        .Key("row_id").String(e.pk)
        .Key("column").String(e.column)
        .Key("reason").String(e.reason)
        .Key("winner");
    // clang-format on
    WriteSide(w, e.winner);
    w.Key("loser");
    WriteSide(w, e.loser);
    w.Key("resolved_at");
    WriteOptional(w, e.resolved_at);
    w.Key("resolution");
    WriteOptional(w, e.resolution);
    w.EndObject();
  }
  w.EndArray();
  std::cout << w.str() << "\n";
}

void PrintText(const std::vector<ConflictEntry>& entries, bool all) {
  if (entries.empty()) {
    std::cout << (all ? "no conflicts\n" : "no unresolved conflicts\n");
    return;
  }
  std::vector<std::string> header{"id",     "detected", "table",  "row id",
                                  "column", "reason",   "winner", "loser"};
  if (all) header.push_back("resolution");
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : entries) {
    rows.push_back({std::to_string(e.id.value()), ShownTime(e.detected_at), e.table, e.pk, e.column,
                    e.reason, ShownSide(e.winner), ShownSide(e.loser)});
    if (all) rows.back().push_back(e.resolution.value_or(""));
  }
  PrintTable(header, rows);
}

ConflictId ParseConflictId(const std::string& text) {
  std::int64_t id = 0;
  bool digits = !text.empty() && text.size() <= 18 &&
                text.find_first_not_of("0123456789") == std::string::npos;
  if (digits) id = std::stoll(text);
  if (id <= 0) Fail("malformed conflict id '" + text + "': use the id `liaison conflicts` shows");
  return ConflictId(id);
}

void PrintResolution(const ConflictResolution& r, ConflictChoice choice) {
  std::string ids;
  for (const auto& id : r.resolved) ids += (ids.empty() ? "" : ", ") + std::to_string(id.value());
  std::cout << "resolved conflict" << (r.resolved.size() > 1 ? "s " : " ") << ids << ": ";
  if (choice == ConflictChoice::kKeepWinner) {
    std::cout << "kept the winning value\n";
    return;
  }
  std::cout << "wrote the losing value, " << r.table << " " << r.pk;
  for (std::size_t i = 0; i < r.written.size(); ++i) {
    std::cout << (i == 0 ? " " : ", ") << r.written[i].column << " = "
              << JsonValue(r.written[i].value);
  }
  std::cout << "\n";
}

void RegisterResolve(CLI::App& conflicts) {
  auto* cmd = conflicts.add_subcommand(
      "resolve", "Resolve one conflict: write the losing value back, or keep the winner");
  auto db = std::make_shared<std::string>();
  auto id = std::make_shared<std::string>();
  auto take = std::make_shared<bool>(false);
  auto keep = std::make_shared<bool>(false);
  cmd->add_option("--db", *db, "Replica file")->required();
  cmd->add_option("ID", *id, "Conflict id, as `liaison conflicts` shows it")->required();
  cmd->add_flag("--take-loser", *take,
                "Write the losing value into the row as a new local change, which syncs "
                "like any other");
  cmd->add_flag("--keep-winner", *keep, "Keep the row as it is; only mark the conflict resolved");
  cmd->footer(
      "A score's points, assessor and note are one unit: resolving one of its columns\n"
      "resolves every column of the same losing write together.\n\n"
      "Examples:\n"
      "  liaison conflicts resolve --db town-a.db 12 --take-loser\n"
      "  liaison conflicts resolve --db town-a.db 13 --keep-winner");
  cmd->callback([=] {
    if (*take == *keep) Fail("say how to resolve it: either --take-loser or --keep-winner");
    const ConflictId conflict = ParseConflictId(*id);
    const ConflictChoice choice = *take ? ConflictChoice::kTakeLoser : ConflictChoice::kKeepWinner;
    Replica replica = OpenReplica(*db);
    PrintResolution(Check(ResolveConflict(replica, conflict, choice)), choice);
  });
}

}  // namespace

void RegisterConflicts(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("conflicts", "List the conflict journal: values that lost a merge");
  auto db = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto all = std::make_shared<bool>(false);
  auto table = std::make_shared<std::string>();
  cmd->add_option("--db", *db, "Replica file");
  cmd->add_flag("--json", *json, "One JSON array");
  cmd->add_flag("--all", *all, "Include resolved conflicts");
  cmd->add_option("--table", *table, "Only conflicts of this table");
  cmd->require_subcommand(0, 1);
  cmd->footer(
      "Each replica journals what it saw lose; `conflicts resolve` settles one entry.\n\n"
      "Examples:\n"
      "  liaison conflicts --db town-a.db\n"
      "  liaison conflicts --db town-a.db --table voters --json\n"
      "  liaison conflicts resolve --db town-a.db 12 --take-loser");
  RegisterResolve(*cmd);
  cmd->callback([=] {
    if (cmd->get_subcommands().size() > 0) return;  // `conflicts resolve` did the work
    if (db->empty()) Fail("--db is required");
    Replica replica = OpenReplica(*db);
    auto entries = Check(
        ListConflicts(replica.db(), ConflictFilter{.include_resolved = *all, .table = *table}));
    if (*json) {
      PrintJson(entries);
    } else {
      PrintText(entries, *all);
    }
  });
}

}  // namespace liaison::cli
