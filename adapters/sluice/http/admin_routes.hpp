// The admin API over HTTP, independent of sockets: one request (method, target, headers, body) in,
// one reply out, against an engine. The HTTP server (admin_server.hpp) feeds it; tests call it
// directly. Every reply is JSON (or the Prometheus text for /metrics); bad input gets a 4xx with
// {"error": "<code>", "message": "<why>"}; payloads appear only in GET /api/dead-letters/{id}.
//
//   GET  /, /dashboard                             the dashboard page (static; no token needed)
//   GET  /healthz                                  health summary (200 ok, 503 degraded)
//   GET  /metrics                                  Prometheus text exposition
//   GET  /api/metrics                              the same figures as JSON
//   POST /api/metrics/reset                        counters and latencies count from now on
//   GET  /api/messages?state=pending|scheduled|inflight|dlq|all&queue=&type=&correlation_id=&limit=&offset=
//   GET  /api/messages/{id}                        one message's summary (no payload)
//   GET  /api/dead-letters?queue=&error=&limit=&offset=
//   GET  /api/dead-letters/stats?queue=&error=     letters per error type
//   GET  /api/dead-letters/{id}                    one letter, payload included
//   POST /api/dead-letters/{id}/replay?reset_attempts=1&force=1
//   POST /api/dead-letters/replay?queue=&error=&reset_attempts=1&force=1&dry_run=1&limit=N
//   POST /api/dead-letters/purge?queue=&error=
//   POST /api/queues/{name}/scale?workers=N
//   POST /api/snapshot
//   GET  /api/dedup/{queue}/{key}
//
// Authorization: every POST needs `Authorization: Bearer <token>` (compared in constant time);
// with no token configured, POSTs are refused (403): mutations must be enabled deliberately.
// `token_for_reads` extends the requirement to every GET.
// Thread-safety: one request per call; the engine's own thread-safety applies.
#pragma once

#include <sluice/engine.hpp>

#include <boost/asio/awaitable.hpp>

#include <string>
#include <string_view>

namespace sluice::http {

struct admin_options {
  std::string token;             // empty: mutations disabled
  bool token_for_reads = false;  // require the token for GETs too
};

struct admin_request {
  std::string_view method;         // "GET", "POST", ...
  std::string_view target;         // path and query, as received
  std::string_view authorization;  // the Authorization header's value, if any
  std::string_view body;
};

struct admin_reply {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
};

[[nodiscard]] boost::asio::awaitable<admin_reply> handle_admin_request(engine& eng, const admin_options& options,
                                                                       admin_request request);

// True when `presented` equals `expected`, in time that depends only on their lengths.
[[nodiscard]] bool tokens_equal(std::string_view presented, std::string_view expected) noexcept;

}  // namespace sluice::http
