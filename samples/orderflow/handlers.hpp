// OrderFlow's handlers: an order chains payment -> shipping -> notification, each step enqueued
// by the previous handler (one correlation id per order). Failures are injected at configurable
// rates so the operator tools have something to show: a payment gateway timeout or a carrier
// outage is transient (retried with backoff), a declined card is permanent (dead-lettered at
// once; when an operator replays it, the customer has fixed the card and it goes through).
#pragma once

#include <sluice/sluice.hpp>
#include <sluice/stats/latency_histogram.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>

namespace orderflow {

struct failure_rates {
  double transient = 0.05;  // share of payment and shipping attempts that time out (retried)
  double permanent = 0.01;  // share of payments declined (dead-lettered; a replay succeeds)
};

// What the chains did, for the progress line and the summary. Thread-safe.
struct chain_figures {
  std::atomic<long> notified{0};          // chains that reached the end
  std::atomic<long> declined{0};          // payments declined (dead-lettered)
  std::atomic<long> transient_faults{0};  // injected timeouts (each retried)
  sluice::latency_histogram end_to_end;   // order placed -> notification handled (this process's orders)
  // Optional hooks (set before the engine starts; called on worker threads): the soak suite's
  // oracle records which orders completed and which were declined.
  std::function<void(long order_id)> on_notified;
  std::function<void(long order_id)> on_declined;
  const std::int64_t started_at_ns = std::chrono::steady_clock::now().time_since_epoch().count();
};

// Declares the four queues (orders, payments, shipping, notifications) and registers the chain.
// `figures` must outlive the engine's handlers.
[[nodiscard]] boost::system::error_code register_chain(sluice::engine& eng, const sluice::queue_options& queues,
                                                       failure_rates rates, chain_figures& figures);

}  // namespace orderflow
