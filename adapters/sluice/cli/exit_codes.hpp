// The sluice CLI's exit codes, for scripts, and how an admin API answer maps onto them.
// 0 ok; 1 the operation failed or found nothing; 2 usage; 3 engine unreachable; 4 unauthorized.
// Thread-safety: constants and a pure function.
#pragma once

namespace sluice::cli {

inline constexpr int exit_ok = 0;
inline constexpr int exit_failed = 1;        // 404, 409, 5xx, degraded health, a refused replay
inline constexpr int exit_usage = 2;         // bad arguments: CLI11's errors, or a 400 from the server
inline constexpr int exit_unreachable = 3;   // no HTTP answer: refused, timed out, unresolvable
inline constexpr int exit_unauthorized = 4;  // 401 (no or wrong token) or 403 (mutations disabled)

// The exit code for an HTTP answer: 2xx is success, 400 means the arguments were bad.
[[nodiscard]] constexpr int exit_code_for_status(unsigned http_status) noexcept {
  if (http_status >= 200 && http_status < 300) return exit_ok;
  if (http_status == 401 || http_status == 403) return exit_unauthorized;
  if (http_status == 400) return exit_usage;
  return exit_failed;
}

}  // namespace sluice::cli
