// liaison changes --db F [--since SEQ] [--limit N] [--json]
#include <iostream>

#include "command.h"
#include "liaison/changelog.h"
#include "liaison/json.h"

namespace liaison::cli {

void RegisterChanges(CLI::App& app) {
  auto* cmd = app.add_subcommand("changes", "Show this replica's own change log");
  auto db = std::make_shared<std::string>();
  auto since = std::make_shared<std::int64_t>(0);
  auto limit = std::make_shared<std::int64_t>(1000);
  auto json = std::make_shared<bool>(false);
  cmd->add_option("--db", *db, "Replica file")->required();
  cmd->add_option("--since", *since, "Show changes after this sequence number")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--limit", *limit, "Show at most this many")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--json", *json, "One JSON array");
  cmd->callback([=] {
    Replica replica = OpenReplica(*db);
    auto changes = Check(ReadLocalChanges(replica.db(), Seq(*since), *limit));
    if (*json) {
      JsonWriter w;
      w.BeginArray();
      for (const auto& c : changes) {
        w.BeginObject()
            .Key("origin").String(replica.info().replica_id.value())
            .Key("seq").Int(c.seq.value())
            .Key("hlc").Int(static_cast<std::int64_t>(c.hlc.packed()))
            .Key("time").String(c.hlc.ToString())
            .Key("table").String(c.table)
            .Key("id").String(c.pk)
            .Key("op").String(ChangeOpName(c.op))
            .Key("values").Raw(ColumnValuesJson(c.values))
            .Key("old").Raw(ColumnValuesJson(c.old_values))
            .EndObject();
      }
      w.EndArray();
      std::cout << w.str() << "\n";
      return;
    }
    for (const auto& c : changes) {
      std::cout << c.seq.value() << "  " << c.hlc.ToString() << "  " << ChangeOpName(c.op) << " "
                << c.table << " " << c.pk;
      for (const auto& cv : (c.op == ChangeOp::kDelete ? c.old_values : c.values)) {
        std::cout << "  " << cv.column << "=" << ValueToText(cv.value);
      }
      std::cout << "\n";
    }
  });
}

}  // namespace liaison::cli
