// Aligned plain-text tables for a terminal: a title row, then the rows; each column as wide as
// its widest cell up to the column's limit, longer cells cut with "…", control characters
// replaced, two spaces between columns, no trailing blanks. Also "key  value" field listings.
// Thread-safety: value types and pure functions.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace sluice::cli {

enum class align { left, right };

struct column {
  column(std::string title_text, align how = align::left, std::size_t width_limit = 32)
      : title(std::move(title_text)), alignment(how), max_width(width_limit) {}

  std::string title;
  align alignment;        // numbers read best right-aligned
  std::size_t max_width;  // in terminal columns; message ids need 26
};

class table {
 public:
  explicit table(std::vector<column> columns);

  // Missing cells print empty, extra cells are dropped.
  void add_row(std::vector<std::string> cells);
  [[nodiscard]] bool empty() const noexcept { return rows_.empty(); }

  void print(std::ostream& out) const;
  [[nodiscard]] std::string str() const;

 private:
  [[nodiscard]] std::vector<std::size_t> widths() const;
  void print_row(std::ostream& out, const std::vector<std::string>& cells,
                 const std::vector<std::size_t>& column_widths) const;

  std::vector<column> columns_;
  std::vector<std::vector<std::string>> rows_;  // sanitized, as many cells as columns
};

using field_list = std::vector<std::pair<std::string, std::string>>;

// "key  value" lines with the values aligned; values are sanitized, never cut.
void print_fields(std::ostream& out, const field_list& fields);

}  // namespace sluice::cli
