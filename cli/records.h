// A table-driven record layer for the domain commands. A TableSpec describes one
// replicated table as a person edits it (its fields, how its rows are named, which
// rows depend on it, its listing filters and its cross-field rules);
// RegisterRecordCommand turns it into `liaison <command> add|edit|delete|list`.
//
// What every generated subcommand does:
//   add     checks every value, the references and the spec's rules, then inserts one
//           row owned by the replica's office and prints its id (only the id).
//   edit    finds the row (`--id`, or a set table's key options), refuses rows owned
//           by another office unless this is the hub, checks the merged row and
//           updates the given columns. The spec may rename it (link: `end`).
//   delete  the same lookup; refuses while other rows still refer to the row, and
//           deletes cascading dependents (an activity's attendance) with it.
//   list    prints the rows, filtered, as an aligned table or with --json as one
//           JSON array of objects keyed by column name.
// Each write runs in one transaction: a failed check changes nothing.
//
// Thread-safety: registration happens once on the main thread; callbacks run there.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "command.h"
#include "fields.h"

namespace liaison::cli {

// The raw option values one subcommand received, by option name ("--attendee").
struct Inputs {
  std::map<std::string, std::string> text;
  std::map<std::string, std::vector<std::string>> lists;
  std::map<std::string, bool> flags;
  std::map<std::string, CLI::Option*> options;

  bool Given(const std::string& option) const;
  const std::string& Text(const std::string& option) const;
  const std::vector<std::string>& List(const std::string& option) const;
};

struct TableSpec;

// What a spec's hooks see while one add or edit runs, inside its transaction.
struct WriteContext {
  Replica& replica;
  const TableSpec& spec;
  Row& row;           // the row to be written: add, every column; edit, stored + changes
  const Row* stored;  // edit: the row as stored; add: nullptr
  const Inputs& inputs;
  std::string id;  // the row's id (known before the hooks run)

  Db& db() { return replica.db(); }
  bool is_add() const { return stored == nullptr; }
};

enum class IdRule {
  kGenerated,  // liaison::NewRowId(); edit and delete take --id
  kExplicit,   // add takes --id (an office id, which names certificates later)
  kDerived,    // a set: the key fields' values joined by `id_separator`
};

// Another table whose rows point at this one through `column`.
struct Dependent {
  std::string table;
  std::string column;
  std::string what;      // plural, for messages: "contact links"
  bool cascade = false;  // deleted together with the row; otherwise it blocks delete
};

// A listing filter: `sql` is a condition with one `?` for the value (none for a flag).
struct Filter {
  Field field;  // its option, kind and help check the value
  std::string sql;
};

// A computed listing column: `sql` is an expression over the table's row.
struct ListColumn {
  std::string name;
  std::string sql;
  bool json = false;  // the expression yields JSON (an array), emitted as is
};

struct TableSpec {
  std::string command;  // "deputy"
  std::string table;    // "deputies"
  std::string noun;     // "deputy": "no deputy 'x'", "unknown deputy 'x'"
  std::string plural;   // "deputies"
  std::string about;    // one line for --help
  std::string example;  // the add example shown in --help footers
  IdRule id_rule = IdRule::kGenerated;
  std::string id_separator = "/";
  std::vector<Field> fields;  // in the order --help shows them
  std::vector<Filter> filters;
  std::vector<ListColumn> list_columns;
  // The columns of the text table, in order; empty: every column. --json shows all.
  std::vector<std::string> text_columns;
  std::vector<Dependent> dependents;
  std::string order_by = "id";
  std::string edit_verb = "edit";  // link: "end"
  std::string edit_about;          // --help line of the edit subcommand, when not the default
  std::string edit_example;

  // Cross-field rules, run after every value was parsed; Fail() refuses the write.
  // May fill columns (link resolves --from/--to into deputy or voter columns).
  std::function<void(WriteContext&)> check;
  // Runs after the row was written, in the same transaction (activity attendance).
  std::function<void(WriteContext&)> after_write;
};

// Adds `liaison <spec.command>` with its subcommands to `app`.
CLI::App* RegisterRecordCommand(CLI::App& app, TableSpec spec);

// The row `id` of `table`, or nothing when there is none.
std::optional<Row> LoadRow(Db& db, const std::string& table, const std::string& id);

// Prints `rows` under `header` as columns aligned for a terminal (wide characters
// count twice), two spaces apart (listing.cc).
void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows);

// Prints the rows of `spec.table` that match the given filters (listing.cc).
void RunList(const TableSpec& spec, const Inputs& inputs, const std::string& db_path, bool json);

}  // namespace liaison::cli
