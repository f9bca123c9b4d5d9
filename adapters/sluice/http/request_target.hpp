// A request target split into percent-decoded path segments and query parameters, with typed
// accessors that reject malformed values instead of guessing ("limit=abc" is an error, not 0).
// Thread-safety: a value type.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::http {

class request_target {
 public:
  // nullopt for a malformed target (not starting with '/', a bad %-escape).
  [[nodiscard]] static std::optional<request_target> parse(std::string_view target);

  [[nodiscard]] const std::vector<std::string>& path() const noexcept { return path_; }
  [[nodiscard]] std::string param(const std::string& name, const std::string& fallback = {}) const;
  // Absent: fallback. Present but not a non-negative integer in range: nullopt.
  [[nodiscard]] std::optional<std::uint64_t> number(const std::string& name, std::uint64_t fallback) const;
  // Absent: false. "1", "true", "yes": true; "0", "false", "no": false; else nullopt.
  [[nodiscard]] std::optional<bool> flag(const std::string& name) const;

 private:
  std::vector<std::string> path_;
  std::map<std::string, std::string, std::less<>> params_;
};

}  // namespace sluice::http
