// Admin API endpoints (see endpoint.hpp).
#include "sluice/http/endpoint.hpp"

#include <algorithm>

namespace sluice::http {

namespace {

endpoint_or_error fail(std::string why) { return {std::nullopt, std::move(why)}; }

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// 1..65535 in decimal digits only ("08080" is fine, "+80", "80x" and "0" are not).
std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value == 0 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

bool has_blank_or_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
}

// The host and port of "host", "host:port", "[v6]" or "[v6]:port".
endpoint_or_error parse_authority(std::string_view authority, const std::string& quoted) {
  endpoint ep;
  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return fail("unterminated '[' in " + quoted);
    ep.host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return fail("unexpected text after ']' in " + quoted);
    has_port = !after.empty();
    if (has_port) port_text = after.substr(1);
  } else {
    const auto colon = authority.find(':');
    ep.host = authority.substr(0, colon);
    has_port = colon != std::string_view::npos;
    if (has_port) port_text = authority.substr(colon + 1);
    if (port_text.find(':') != std::string_view::npos) {
      return fail("put an IPv6 address in brackets, as in http://[::1]:8080 (got " + quoted + ")");
    }
  }
  if (ep.host.empty()) return fail("no host in " + quoted);
  if (has_port) {
    const auto port = parse_port(port_text);
    if (!port) return fail("bad port '" + std::string(port_text) + "' in " + quoted + " (expected 1 to 65535)");
    ep.port = *port;
  }
  return {std::move(ep), {}};
}

}  // namespace

std::string endpoint::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + prefix;
}

endpoint_or_error parse_endpoint(std::string_view url) {
  const std::string quoted = "'" + std::string(url) + "'";
  if (url.empty()) return fail("the URL is empty (expected http://host:port)");
  if (has_blank_or_control(url)) return fail("the URL holds spaces or control characters: " + quoted);
  const auto separator = url.find("://");
  if (separator == std::string_view::npos) return fail("not a URL: " + quoted + " (expected http://host:port)");
  const std::string scheme = lowercase(url.substr(0, separator));
  if (scheme == "https") {
    return fail(
        "https is not supported: the admin API speaks plain HTTP on a local port (use http://, "
        "through an SSH tunnel or a TLS-terminating proxy for remote engines)");
  }
  if (scheme != "http") return fail("unsupported scheme '" + scheme + "' in " + quoted + " (only http://)");
  const std::string_view rest = url.substr(separator + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) return fail("the URL takes no query or fragment: " + quoted);
  const auto slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    return fail("the URL takes no user name or password: " + quoted + " (the token comes from SLUICE_ADMIN_TOKEN)");
  }
  auto parsed = parse_authority(authority, quoted);
  if (!parsed.value) return parsed;
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  parsed.value->prefix = std::string(path);
  return parsed;
}

}  // namespace sluice::http
