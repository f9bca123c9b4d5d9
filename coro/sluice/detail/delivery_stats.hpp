// Figures about deliveries, recorded by one worker (single writer, on its strand) and read by
// stats() from any thread. Writes are relaxed load+store pairs rather than locked increments, and
// each worker owns its cache lines, so a busy engine does not bounce shared counters between
// cores. Retired workers fold their figures into the pool's totals under the pool's mutex.
#pragma once

#include "sluice/stats/latency_histogram.hpp"

#include <atomic>
#include <cstdint>

namespace sluice::detail {

struct delivery_stats {
  std::atomic<std::uint64_t> processed{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> retried{0};  // failures scheduled for another attempt
  std::atomic<std::uint64_t> snoozed{0};
  std::atomic<std::uint64_t> timed_out{0};      // deliveries whose timeout raised their cancellation
  std::atomic<std::uint64_t> stuck{0};          // revoked: still running after timeout + grace
  std::atomic<std::uint64_t> lease_expired{0};  // revoked: the lease ended without renewal
  std::atomic<std::uint64_t> heartbeats{0};     // automatic lease renewals
  std::atomic<std::uint64_t> lease_lost{0};     // stale outcomes and extensions rejected
  std::atomic<bool> busy{false};
  latency_histogram queue_wait;  // enqueue to handler start
  latency_histogram processing;  // handler start to finish

  static void bump(std::atomic<std::uint64_t>& counter, std::uint64_t by = 1) noexcept {
    counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
  }

  // Adds this worker's figures into `totals` (the caller serialises writers of `totals`).
  void add_to(delivery_stats& totals) const noexcept {
    bump(totals.processed, processed.load(std::memory_order_relaxed));
    bump(totals.failed, failed.load(std::memory_order_relaxed));
    bump(totals.retried, retried.load(std::memory_order_relaxed));
    bump(totals.snoozed, snoozed.load(std::memory_order_relaxed));
    bump(totals.timed_out, timed_out.load(std::memory_order_relaxed));
    bump(totals.stuck, stuck.load(std::memory_order_relaxed));
    bump(totals.lease_expired, lease_expired.load(std::memory_order_relaxed));
    bump(totals.heartbeats, heartbeats.load(std::memory_order_relaxed));
    bump(totals.lease_lost, lease_lost.load(std::memory_order_relaxed));
    totals.queue_wait.add(queue_wait);
    totals.processing.add(processing);
  }
};

}  // namespace sluice::detail
