// Plain-text tables (see table.hpp).
#include "sluice/cli/table.hpp"

#include "sluice/cli/format.hpp"

#include <algorithm>
#include <sstream>

namespace sluice::cli {

table::table(std::vector<column> columns) : columns_(std::move(columns)) {}

void table::add_row(std::vector<std::string> cells) {
  cells.resize(columns_.size());
  for (auto& cell : cells) cell = sanitize(cell);
  rows_.push_back(std::move(cells));
}

std::vector<std::size_t> table::widths() const {
  std::vector<std::size_t> out;
  out.reserve(columns_.size());
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    std::size_t widest = display_width(columns_[i].title);
    for (const auto& row : rows_) widest = std::max(widest, display_width(row[i]));
    out.push_back(std::min(widest, columns_[i].max_width));
  }
  return out;
}

void table::print_row(std::ostream& out, const std::vector<std::string>& cells,
                      const std::vector<std::size_t>& column_widths) const {
  std::string line;
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    if (i > 0) line += "  ";
    const std::string text = truncate(cells[i], column_widths[i]);
    const std::string pad(column_widths[i] - display_width(text), ' ');
    line += columns_[i].alignment == align::right ? pad + text : text + pad;
  }
  line.erase(line.find_last_not_of(' ') + 1);  // npos + 1 == 0: a blank line becomes empty
  out << line << '\n';
}

void table::print(std::ostream& out) const {
  const auto w = widths();
  std::vector<std::string> titles;
  titles.reserve(columns_.size());
  for (const auto& c : columns_) titles.push_back(sanitize(c.title));
  print_row(out, titles, w);
  for (const auto& row : rows_) print_row(out, row, w);
}

std::string table::str() const {
  std::ostringstream out;
  print(out);
  return out.str();
}

void print_fields(std::ostream& out, const field_list& fields) {
  std::size_t key_width = 0;
  for (const auto& field : fields) key_width = std::max(key_width, display_width(field.first));
  for (const auto& [key, value] : fields) {
    const std::string pad(key_width - display_width(key) + 2, ' ');
    std::string line = sanitize(key) + pad + sanitize(value);
    line.erase(line.find_last_not_of(' ') + 1);
    out << line << '\n';
  }
}

}  // namespace sluice::cli
