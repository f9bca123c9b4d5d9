// Request targets for the admin API: path segments and query values percent-encoded (RFC 3986:
// unreserved characters pass, every other byte becomes %XX, '+' and ' ' included, because the
// server reads '+' as a space), so queue names, ids and error texts arrive exactly as typed.
// Thread-safety: a value type and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::cli {

[[nodiscard]] std::string percent_encode(std::string_view text);

class query_string {
 public:
  // Adds name=value; an empty value is left out (the API reads an absent filter as "any").
  query_string& add(std::string_view name, std::string_view value);
  query_string& add_number(std::string_view name, std::uint64_t value);
  // Adds name=1 when `on`, nothing otherwise (the API's flags default to off).
  query_string& add_flag(std::string_view name, bool on);

  // "" when nothing was added, else "?a=1&b=2".
  [[nodiscard]] const std::string& str() const noexcept { return text_; }

 private:
  std::string text_;
};

}  // namespace sluice::cli
