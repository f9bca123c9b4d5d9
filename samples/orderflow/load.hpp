// OrderFlow's built-in load: N orders from a few producer coroutines, at a target rate or as fast
// as the engine takes them, with a progress line (rewritten in place on a terminal) until every
// chain has settled: notified, or dead-lettered as declined.
#pragma once

#include "handlers.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <chrono>
#include <functional>

namespace orderflow {

struct load_plan {
  long orders = 20'000;
  double per_second = 500;  // 0: as fast as the engine admits them
  int producers = 4;
};

struct load_progress {
  std::atomic<long> enqueued{0};
  std::atomic<int> producers_left{0};
  std::atomic<bool> stopping{false};  // the service is shutting down: producers and reporter quit
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point finished{};  // when every queue was empty again
};

// Starts the producers and the progress reporter on `ex`; `done` runs once the load has been
// enqueued and every queue is empty (pending, in flight and scheduled all zero).
void start_load(const boost::asio::any_io_executor& ex, sluice::engine& eng, const load_plan& plan,
                std::atomic<long>& next_id, load_progress& progress, const chain_figures& figures,
                std::function<void()> done);

}  // namespace orderflow
