// The dashboard: one self-contained HTML page (inline CSS and JavaScript, no CDN) compiled into
// the library from dashboard.html, served by the admin API at / and /dashboard. It polls
// /api/metrics and /api/dead-letters with the operator's token and replays dead letters.
#pragma once

#include <string_view>

namespace sluice::http {

[[nodiscard]] std::string_view dashboard_page() noexcept;

}  // namespace sluice::http
