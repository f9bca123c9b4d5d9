// Percent-encoding and query strings (see query_string.hpp).
#include "sluice/cli/query_string.hpp"

namespace sluice::cli {

namespace {

bool unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

}  // namespace

std::string percent_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (unreserved(c)) {
      out.push_back(c);
      continue;
    }
    const auto byte = static_cast<unsigned char>(c);
    out.push_back('%');
    out.push_back(hex[byte >> 4]);
    out.push_back(hex[byte & 0x0f]);
  }
  return out;
}

query_string& query_string::add(std::string_view name, std::string_view value) {
  if (value.empty()) return *this;
  text_.push_back(text_.empty() ? '?' : '&');
  text_ += percent_encode(name);
  text_.push_back('=');
  text_ += percent_encode(value);
  return *this;
}

query_string& query_string::add_number(std::string_view name, std::uint64_t value) {
  return add(name, std::to_string(value));
}

query_string& query_string::add_flag(std::string_view name, bool on) { return on ? add(name, "1") : *this; }

}  // namespace sluice::cli
