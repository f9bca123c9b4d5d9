// An engine's figures in the Prometheus text exposition format (version 0.0.4), for a /metrics
// endpoint. Per queue (label `queue`): counters since start (`_total`; never reset, as Prometheus
// expects: rates and increases come from the server), gauges (depths, workers, stuck handlers)
// and summaries of the message age at handler start and of the processing time (quantiles 0.5,
// 0.95, 0.99 from the engine's log-linear histograms, within ~3%). Engine-wide: timer expiries,
// the journal and the snapshots when persistence is on. Names and meanings: docs/operations.md.
// Thread-safety: a pure function of its argument.
#pragma once

#include <sluice/stats.hpp>

#include <string>

namespace sluice::metrics {

[[nodiscard]] std::string prometheus_text(const engine_stats& s);

}  // namespace sluice::metrics
