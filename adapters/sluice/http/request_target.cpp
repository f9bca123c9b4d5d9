// Request targets (see request_target.hpp).
#include "sluice/http/request_target.hpp"

#include <charconv>

namespace sluice::http {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> decode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      const int hi = hex_digit(in[i + 1]);
      const int lo = hex_digit(in[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::optional<request_target> request_target::parse(std::string_view target) {
  if (target.empty() || target.front() != '/') return std::nullopt;
  request_target t;
  const auto q = target.find('?');
  const std::string_view path = target.substr(0, q);
  std::size_t start = 1;
  while (start <= path.size()) {
    const auto end = std::min(path.find('/', start), path.size());
    if (end > start) {
      auto segment = decode(path.substr(start, end - start), false);
      if (!segment) return std::nullopt;
      t.path_.push_back(std::move(*segment));
    }
    start = end + 1;
  }
  if (q == std::string_view::npos) return t;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto key = decode(pair.substr(0, eq), true);
    auto value = decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
    if (!key || !value) return std::nullopt;
    t.params_[std::move(*key)] = std::move(*value);
  }
  return t;
}

std::string request_target::param(const std::string& name, const std::string& fallback) const {
  auto it = params_.find(name);
  return it == params_.end() ? fallback : it->second;
}

std::optional<std::uint64_t> request_target::number(const std::string& name, std::uint64_t fallback) const {
  auto it = params_.find(name);
  if (it == params_.end()) return fallback;
  const std::string& v = it->second;
  std::uint64_t out = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc{} || end != v.data() + v.size() || v.empty()) return std::nullopt;
  return out;
}

std::optional<bool> request_target::flag(const std::string& name) const {
  auto it = params_.find(name);
  if (it == params_.end()) return false;
  const std::string& v = it->second;
  if (v.empty() || v == "1" || v == "true" || v == "yes") return true;
  if (v == "0" || v == "false" || v == "no") return false;
  return std::nullopt;
}

}  // namespace sluice::http
