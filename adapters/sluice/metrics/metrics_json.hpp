// An engine's figures as JSON, for the admin API, the CLI and the dashboard: per queue the same
// counters and gauges as /metrics plus the failure rate and the latency summaries in
// milliseconds (p50, p95, p99, max, count), and the recent failures (type, text, attempt, time;
// never payloads); engine-wide the journal and snapshot figures.
// Thread-safety: a pure function of its argument.
#pragma once

#include <sluice/stats.hpp>

#include <boost/json/object.hpp>

namespace sluice::metrics {

[[nodiscard]] boost::json::object metrics_json(const engine_stats& s);

}  // namespace sluice::metrics
