// `liaison <command> list`: the rows of one table, filtered, as an aligned text table
// or as one JSON array of objects keyed by column name.
#include <algorithm>
#include <iostream>

#include "liaison/json.h"
#include "records.h"

namespace liaison::cli {
namespace {

// The number of terminal columns `s` takes: East Asian wide characters take two.
std::size_t DisplayWidth(const std::string& s) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < s.size();) {
    auto byte = static_cast<unsigned char>(s[i]);
    std::uint32_t cp = byte;
    std::size_t len = 1;
    if (byte >= 0xF0) {
      len = 4;
    } else if (byte >= 0xE0) {
      len = 3;
    } else if (byte >= 0xC0) {
      len = 2;
    }
    if (len > 1) cp = byte & (0x7F >> len);
    for (std::size_t k = 1; k < len && i + k < s.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    }
    i += len;
    bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
    width += wide ? 2 : 1;
  }
  return width;
}

}  // namespace

void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) widths[c] = DisplayWidth(header[c]);
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      widths[c] = std::max(widths[c], DisplayWidth(row[c]));
    }
  }
  auto print = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      line += cells[c];
      if (c + 1 < cells.size()) line += std::string(widths[c] - DisplayWidth(cells[c]) + 2, ' ');
    }
    std::cout << line << "\n";
  };
  print(header);
  for (const auto& row : rows) print(row);
}

void RunList(const TableSpec& spec, const Inputs& in, const std::string& db_path, bool json) {
  Replica replica = OpenReplica(db_path);
  Db& db = replica.db();
  std::string sql = "SELECT *";
  for (const auto& col : spec.list_columns) sql += ", (" + col.sql + ") AS " + QuoteIdent(col.name);
  sql += " FROM " + QuoteIdent(spec.table);
  std::vector<std::string> params;
  std::string where;
  for (const auto& filter : spec.filters) {
    const Field& f = filter.field;
    if (!in.Given(f.option)) continue;
    if (f.kind == FieldKind::kFlag) {
      if (!in.flags.at(f.option)) continue;
    } else {
      const std::string& value = in.Text(f.option);
      (void)ParseFieldValue(f, value);
      if (f.kind == FieldKind::kRef) CheckReference(db, f.ref_table, f.ref_noun, value);
      params.push_back(value);
    }
    where += (where.empty() ? " WHERE " : " AND ") + ("(" + filter.sql + ")");
  }
  sql += where + " ORDER BY " + spec.order_by;

  Stmt stmt = Check(db.Prepare(sql));
  for (std::size_t i = 0; i < params.size(); ++i) {
    stmt.Bind(static_cast<int>(i) + 1, std::string_view(params[i]));
  }
  const int columns = stmt.ColumnCount();
  auto find_column = [&](const std::string& name) -> const ListColumn* {
    for (const auto& c : spec.list_columns) {
      if (c.name == name) return &c;
    }
    return nullptr;
  };

  JsonWriter w;
  w.BeginArray();
  std::vector<std::string> header;
  std::vector<bool> json_column;
  for (int c = 0; c < columns; ++c) {
    header.push_back(stmt.ColumnName(c));
    const ListColumn* extra = find_column(header.back());
    json_column.push_back(extra != nullptr && extra->json);
  }
  // The text table shows spec.text_columns, in that order, or every column.
  std::vector<int> shown;
  std::vector<std::string> text_header;
  for (const std::string& name : spec.text_columns) {
    auto it = std::find(header.begin(), header.end(), name);
    if (it != header.end()) shown.push_back(static_cast<int>(it - header.begin()));
  }
  if (shown.empty()) {
    for (int c = 0; c < columns; ++c) shown.push_back(c);
  }
  for (int c : shown) text_header.push_back(header[c]);
  std::vector<std::vector<std::string>> rows;
  while (Check(stmt.Step())) {
    if (json) {
      w.BeginObject();
      for (int c = 0; c < columns; ++c) {
        w.Key(header[c]);
        if (json_column[c] && !stmt.IsNull(c)) {
          w.Raw(stmt.Text(c));
        } else {
          w.Val(stmt.GetValue(c));
        }
      }
      w.EndObject();
      continue;
    }
    std::vector<std::string> cells;
    for (int c : shown) cells.push_back(stmt.IsNull(c) ? "-" : stmt.Text(c));
    rows.push_back(std::move(cells));
  }
  w.EndArray();
  if (json) {
    std::cout << w.str() << "\n";
  } else if (rows.empty()) {
    std::cout << "no " << spec.plural << "\n";
  } else {
    PrintTable(text_header, rows);
  }
}

}  // namespace liaison::cli
