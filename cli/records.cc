#include "records.h"

#include <cctype>
#include <iostream>
#include <memory>

#include "liaison/ids.h"

namespace liaison::cli {
namespace {

std::string Upper(const std::string& option) {
  std::string out = option.substr(option.find_first_not_of('-'));
  for (char& c : out)
    c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::vector<const Field*> KeyFields(const TableSpec& spec) {
  std::vector<const Field*> keys;
  for (const auto& f : spec.fields) {
    if (f.key) keys.push_back(&f);
  }
  return keys;
}

// "--id ID" or, for a set, "--group GROUP --deputy DEPUTY": how a row is named.
std::string KeyUsage(const TableSpec& spec) {
  if (spec.id_rule != IdRule::kDerived) return "--id ID";
  std::string out;
  for (const Field* f : KeyFields(spec))
    out += (out.empty() ? "" : " ") + f->option + " " + Upper(f->option);
  return out;
}

// Registers the options that name an existing row (edit and delete).
void AddKeyOptions(CLI::App* sub, const TableSpec& spec, Inputs& in) {
  if (spec.id_rule != IdRule::kDerived) {
    in.options["--id"] =
        sub->add_option("--id", in.text["--id"], "Id of the " + spec.noun)->required();
    return;
  }
  for (const Field* f : KeyFields(spec)) {
    in.options[f->option] = sub->add_option(f->option, in.text[f->option], f->help)->required();
  }
}

// Registers the option of one field on an add or edit subcommand.
void AddFieldOption(CLI::App* sub, const Field& f, Inputs& in, bool is_add) {
  CLI::Option* opt = nullptr;
  if (f.kind == FieldKind::kFlag) {
    std::string names = is_add ? f.option : f.option + ",!--no-" + f.option.substr(2);
    opt = sub->add_flag(names, in.flags[f.option], f.help);
  } else if (f.repeatable) {
    opt = sub->add_option(f.option, in.lists[f.option], f.help + " (repeatable)");
  } else {
    std::string help = f.help;
    if (is_add && f.own_office_default) help += ". Default: this replica's office";
    if (is_add && f.today_default) help += ". Default: today";
    if (is_add && f.default_value) help += ". Default: " + *f.default_value;
    if (!is_add && !f.required && f.kind != FieldKind::kEnum) help += "; \"\" clears it";
    opt = sub->add_option(f.option, in.text[f.option], help);
  }
  bool needed = is_add && f.required && !f.own_office_default && !f.today_default &&
                !f.default_value && !f.repeatable;
  if (needed) opt->required();
  in.options[f.option] = opt;
}

std::string RowId(const TableSpec& spec, const Inputs& in) {
  if (spec.id_rule != IdRule::kDerived) return in.Text("--id");
  std::string id;
  for (const Field* f : KeyFields(spec)) {
    if (!id.empty()) id += spec.id_separator;
    id += in.Text(f->option);
  }
  return id;
}

// Parses the values of virtual fields (checked, not stored) and checks references.
void CheckVirtualFields(Db& db, const TableSpec& spec, const Inputs& in, bool is_add) {
  for (const auto& f : spec.fields) {
    if (!f.is_virtual() || f.key || !in.Given(f.option) || (is_add && !f.on_add)) continue;
    std::vector<std::string> values =
        f.repeatable ? in.List(f.option) : std::vector<std::string>{in.Text(f.option)};
    for (const auto& v : values) {
      (void)ParseFieldValue(f, v);
      if (f.kind == FieldKind::kRef) CheckReference(db, f.ref_table, f.ref_noun, v);
    }
  }
}

void CheckOwner(const Replica& replica, const TableSpec& spec, const std::string& id,
                const Row& stored) {
  const ReplicaInfo& info = replica.info();
  std::string owner = RowText(stored, "owner");
  if (info.role == Role::kHub || owner == info.office_id.value()) return;
  Fail(spec.noun + " '" + id + "' belongs to office " + owner +
       ": only that office or the hub may change it");
}

void RunAdd(const TableSpec& spec, const Inputs& in, const std::string& db_path) {
  Replica replica = OpenReplica(db_path);
  Db& db = replica.db();
  Transaction txn = Check(Transaction::Begin(db));
  const std::string office = replica.info().office_id.value();
  Row row;
  for (const auto& f : spec.fields) {
    if (f.is_virtual()) continue;
    if (f.kind == FieldKind::kFlag) {
      row[f.column] = std::int64_t{in.flags.at(f.option) ? 1 : 0};
    } else if (in.Given(f.option)) {
      row[f.column] = ParseFieldValue(f, in.Text(f.option));
    } else if (f.own_office_default) {
      row[f.column] = office;
    } else if (f.today_default) {
      row[f.column] = Today();
    } else if (f.default_value) {
      row[f.column] = ParseFieldValue(f, *f.default_value);
    } else {
      row[f.column] = std::monostate{};
    }
    if (f.kind == FieldKind::kRef && !std::holds_alternative<std::monostate>(row[f.column])) {
      CheckReference(db, f.ref_table, f.ref_noun, RowText(row, f.column));
    }
  }
  CheckVirtualFields(db, spec, in, /*is_add=*/true);

  std::string id;
  switch (spec.id_rule) {
    case IdRule::kGenerated:
      id = NewRowId();
      break;
    case IdRule::kExplicit:
      id = in.Text("--id");
      if (!IsValidOfficeId(id)) {
        Fail("invalid " + spec.noun + " id '" + id + "': use 1 to 64 of a-z, 0-9, '-', '_', '.'");
      }
      break;
    case IdRule::kDerived:
      id = RowId(spec, in);
      break;
  }
  if (RowExists(db, spec.table, id)) Fail(spec.noun + " " + id + " already exists");

  WriteContext ctx{replica, spec, row, nullptr, in, id};
  if (spec.check) spec.check(ctx);

  std::string columns = "id, owner", params = "?, ?";
  for (const auto& [column, value] : row) {
    columns += ", " + QuoteIdent(column);
    params += ", ?";
  }
  Stmt insert = Check(db.Prepare("INSERT INTO " + QuoteIdent(spec.table) + " (" + columns +
                                 ") VALUES (" + params + ")"));
  insert.Bind(1, std::string_view(id)).Bind(2, std::string_view(office));
  int index = 3;
  for (const auto& [column, value] : row) insert.Bind(index++, value);
  Check(insert.Run().WithContext("cannot add " + spec.noun));
  if (spec.after_write) spec.after_write(ctx);
  Check(txn.Commit());
  std::cout << id << "\n";
}

void RunEdit(const TableSpec& spec, const Inputs& in, const std::string& db_path) {
  Replica replica = OpenReplica(db_path);
  Db& db = replica.db();
  Transaction txn = Check(Transaction::Begin(db));
  const std::string id = RowId(spec, in);
  std::optional<Row> stored = LoadRow(db, spec.table, id);
  if (!stored) Fail("no " + spec.noun + " '" + id + "'");
  CheckOwner(replica, spec, id, *stored);

  Row row = *stored;
  std::vector<std::string> changed;
  std::string offered;
  bool any = false;
  for (const auto& f : spec.fields) {
    if (!f.editable) continue;
    offered += (offered.empty() ? "" : ", ") + f.option;
    if (!in.Given(f.option)) continue;
    any = true;
    if (f.is_virtual()) continue;
    row[f.column] = f.kind == FieldKind::kFlag ? Value(std::int64_t{in.flags.at(f.option)})
                                               : ParseFieldValue(f, in.Text(f.option));
    changed.push_back(f.column);
    if (f.kind == FieldKind::kRef && !std::holds_alternative<std::monostate>(row[f.column])) {
      CheckReference(db, f.ref_table, f.ref_noun, RowText(row, f.column));
    }
  }
  if (!any) Fail("nothing to change: give at least one of " + offered);
  CheckVirtualFields(db, spec, in, /*is_add=*/false);

  WriteContext ctx{replica, spec, row, &*stored, in, id};
  if (spec.check) spec.check(ctx);

  if (!changed.empty()) {
    std::string sets;
    for (const auto& column : changed)
      sets += (sets.empty() ? "" : ", ") + QuoteIdent(column) + " = ?";
    Stmt update =
        Check(db.Prepare("UPDATE " + QuoteIdent(spec.table) + " SET " + sets + " WHERE id = ?"));
    int index = 1;
    for (const auto& column : changed) update.Bind(index++, row[column]);
    update.Bind(index, std::string_view(id));
    Check(update.Run().WithContext("cannot change " + spec.noun));
  }
  if (spec.after_write) spec.after_write(ctx);
  Check(txn.Commit());
  std::cout << "updated " << spec.noun << " " << id << "\n";
}

std::int64_t CountWhere(Db& db, const std::string& table, const std::string& column,
                        const std::string& id) {
  Stmt stmt = Check(db.Prepare("SELECT count(*) FROM " + QuoteIdent(table) + " WHERE " +
                               QuoteIdent(column) + " = ?"));
  stmt.Bind(1, std::string_view(id));
  Check(stmt.Step());
  return stmt.Int(0);
}

void DeleteWhere(Db& db, const std::string& table, const std::string& column,
                 const std::string& id) {
  Stmt stmt = Check(
      db.Prepare("DELETE FROM " + QuoteIdent(table) + " WHERE " + QuoteIdent(column) + " = ?"));
  stmt.Bind(1, std::string_view(id));
  Check(stmt.Run());
}

void RunDelete(const TableSpec& spec, const Inputs& in, const std::string& db_path) {
  Replica replica = OpenReplica(db_path);
  Db& db = replica.db();
  Transaction txn = Check(Transaction::Begin(db));
  const std::string id = RowId(spec, in);
  std::optional<Row> stored = LoadRow(db, spec.table, id);
  if (!stored) Fail("no " + spec.noun + " '" + id + "'");
  CheckOwner(replica, spec, id, *stored);

  std::string cascaded;
  for (const auto& dep : spec.dependents) {
    std::int64_t n = CountWhere(db, dep.table, dep.column, id);
    if (n == 0) continue;
    if (!dep.cascade) {
      Fail(spec.noun + " '" + id + "' is still referenced by " + std::to_string(n) + " " +
           dep.what + ": delete those first");
    }
    DeleteWhere(db, dep.table, dep.column, id);
    cascaded += " and " + std::to_string(n) + " " + dep.what;
  }
  DeleteWhere(db, spec.table, "id", id);
  Check(txn.Commit());
  std::cout << "deleted " << spec.noun << " " << id << cascaded << "\n";
}

}  // namespace

bool Inputs::Given(const std::string& option) const {
  auto it = options.find(option);
  return it != options.end() && it->second->count() > 0;
}

const std::string& Inputs::Text(const std::string& option) const { return text.at(option); }

const std::vector<std::string>& Inputs::List(const std::string& option) const {
  return lists.at(option);
}

std::optional<Row> LoadRow(Db& db, const std::string& table, const std::string& id) {
  Stmt stmt = Check(db.Prepare("SELECT * FROM " + QuoteIdent(table) + " WHERE id = ?"));
  stmt.Bind(1, std::string_view(id));
  if (!Check(stmt.Step())) return std::nullopt;
  Row row;
  for (int i = 0; i < stmt.ColumnCount(); ++i) row[stmt.ColumnName(i)] = stmt.GetValue(i);
  return row;
}

CLI::App* RegisterRecordCommand(CLI::App& app, TableSpec spec_value) {
  auto spec = std::make_shared<const TableSpec>(std::move(spec_value));
  const std::string& name = spec->command;
  CLI::App* cmd = app.add_subcommand(name, spec->about);
  cmd->require_subcommand(1);
  const std::string db_help = "Replica file";

  auto add_in = std::make_shared<Inputs>();
  auto add_db = std::make_shared<std::string>();
  CLI::App* add = cmd->add_subcommand("add", "Record a new " + spec->noun + "; prints its id");
  add->add_option("--db", *add_db, db_help)->required();
  if (spec->id_rule == IdRule::kExplicit) {
    add_in->options["--id"] =
        add->add_option("--id", add_in->text["--id"], "Id of the new " + spec->noun)->required();
  }
  for (const auto& f : spec->fields) {
    if (f.on_add) AddFieldOption(add, f, *add_in, /*is_add=*/true);
  }
  add->footer("Example: " + spec->example);
  add->callback([spec, add_in, add_db] { RunAdd(*spec, *add_in, *add_db); });

  bool editable = false;
  for (const auto& f : spec->fields) editable = editable || f.editable;
  if (editable) {
    auto edit_in = std::make_shared<Inputs>();
    auto edit_db = std::make_shared<std::string>();
    std::string about =
        spec->edit_about.empty() ? "Change a " + spec->noun + "'s fields" : spec->edit_about;
    CLI::App* edit = cmd->add_subcommand(spec->edit_verb, about);
    edit->add_option("--db", *edit_db, db_help)->required();
    AddKeyOptions(edit, *spec, *edit_in);
    for (const auto& f : spec->fields) {
      if (f.editable) AddFieldOption(edit, f, *edit_in, /*is_add=*/false);
    }
    edit->footer("Example: " + (spec->edit_example.empty()
                                    ? "liaison " + name + " edit --db town-a.db " + KeyUsage(*spec)
                                    : spec->edit_example));
    edit->callback([spec, edit_in, edit_db] { RunEdit(*spec, *edit_in, *edit_db); });
  }

  auto del_in = std::make_shared<Inputs>();
  auto del_db = std::make_shared<std::string>();
  std::string del_about = "Delete a " + spec->noun;
  for (const auto& dep : spec->dependents) {
    if (dep.cascade) del_about += ", with its " + dep.what;
  }
  CLI::App* del = cmd->add_subcommand("delete", del_about);
  del->add_option("--db", *del_db, db_help)->required();
  AddKeyOptions(del, *spec, *del_in);
  del->footer("Example: liaison " + name + " delete --db town-a.db " + KeyUsage(*spec));
  del->callback([spec, del_in, del_db] { RunDelete(*spec, *del_in, *del_db); });

  auto list_in = std::make_shared<Inputs>();
  auto list_db = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  CLI::App* list = cmd->add_subcommand("list", "List " + spec->plural);
  list->add_option("--db", *list_db, db_help)->required();
  list->add_flag("--json", *json, "One JSON array of objects, keyed by column name");
  for (const auto& filter : spec->filters) {
    const Field& f = filter.field;
    list_in->options[f.option] = f.kind == FieldKind::kFlag
                                     ? list->add_flag(f.option, list_in->flags[f.option], f.help)
                                     : list->add_option(f.option, list_in->text[f.option], f.help);
  }
  std::string list_example = "liaison " + name + " list --db town-a.db";
  if (!spec->filters.empty() && spec->filters[0].field.kind != FieldKind::kFlag) {
    list_example +=
        " " + spec->filters[0].field.option + " " + Upper(spec->filters[0].field.option);
  }
  list->footer("Example: " + list_example + " --json");
  list->callback([spec, list_in, list_db, json] { RunList(*spec, *list_in, *list_db, *json); });

  cmd->footer("Example: " + spec->example);
  return cmd;
}

}  // namespace liaison::cli
