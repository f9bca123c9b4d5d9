// One named queue at run time: its handlers, the lock-free ring of ready messages, the two
// awaited signals in front of it (idle workers wait for messages, blocked producers wait for
// space), its counters and histograms, and its worker pool.
// Admission is a reservation against `capacity` taken before a message is published. A reserved
// place does not guarantee the ring slot a publish lands on is free (a consumer preempted between
// claiming and releasing a slot holds it for as long as it is preempted, and the ring may wrap
// round to it), so a publish that finds its slot held goes to an ordered overflow list behind the
// ring instead, and workers move overflow back into freed slots. Nothing admitted is ever dropped.
// Thread-safety: admission, publication and take are lock-free and safe from any thread;
// handler registration happens before the engine starts.
#pragma once

#include "sluice/detail/dead_letter_store.hpp"
#include "sluice/detail/dedup_index.hpp"
#include "sluice/detail/lease_monitor.hpp"
#include "sluice/detail/live_index.hpp"
#include "sluice/detail/ordering_index.hpp"
#include "sluice/detail/timekeeper.hpp"
#include "sluice/detail/wake_signal.hpp"
#include "sluice/detail/worker_pool.hpp"
#include "sluice/handler.hpp"
#include "sluice/lease/delivery_lease.hpp"
#include "sluice/message/failure.hpp"
#include "sluice/message/message.hpp"
#include "sluice/options.hpp"
#include "sluice/ring/mpmc_ring.hpp"
#include "sluice/stats.hpp"

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::detail {

class engine_core;

struct handler_entry {
  std::string type;
  handler_fn fn;
  handler_options options;
  lease_terms terms;  // options' timeout and lease, as the delivery lease takes them
};

class queue_runtime {
 public:
  queue_runtime(engine_core& core, std::uint32_t index, std::string name, queue_options options);
  ~queue_runtime();  // deletes messages still in the ring
  queue_runtime(const queue_runtime&) = delete;
  queue_runtime& operator=(const queue_runtime&) = delete;

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] std::uint32_t index() const noexcept { return index_; }
  [[nodiscard]] const queue_options& options() const noexcept { return options_; }

  // Setup (before start): false if a handler for the type exists already.
  [[nodiscard]] bool add_handler(std::string type, handler_fn fn, handler_options options);
  [[nodiscard]] std::optional<std::uint32_t> find_handler(std::string_view type) const noexcept;
  [[nodiscard]] const handler_entry& handler_at(std::uint32_t index) const noexcept { return *handlers_[index]; }

  // Envelopes: a fresh or recycled message; recycle() keeps up to spare_capacity envelopes whose
  // payload buffers are small, and frees the rest (bounded memory, fewer allocations).
  [[nodiscard]] std::unique_ptr<message> new_message();
  void recycle(std::unique_ptr<message> m) noexcept;

  // Reserves room for one message; false when the queue holds `capacity` ready messages.
  [[nodiscard]] bool try_admit() noexcept;
  // Gives back a room try_admit() reserved (the enqueue failed before publishing).
  void cancel_admission() noexcept;
  // Publishes an admitted message and wakes one idle worker.
  void publish(std::unique_ptr<message> m) noexcept;
  // The same, for a message that became ready at `since` (the caller read the clock already).
  void publish(std::unique_ptr<message> m, sys_time since) noexcept;
  // Admits and publishes regardless of capacity: for messages the engine already owns and must
  // never refuse (retries, lease returns, due scheduled messages, replays). Producers then wait
  // until depth falls below capacity again.
  void publish_forced(std::unique_ptr<message> m) noexcept;
  // Takes the oldest ready message and frees its room (waking one blocked producer).
  [[nodiscard]] std::unique_ptr<message> try_take() noexcept;

  wake_signal& ready_signal() noexcept { return ready_; }
  wake_signal& space_signal() noexcept { return space_; }
  worker_pool& workers() noexcept { return workers_; }
  detail::timekeeper& timers() noexcept { return timekeeper_; }
  lease_monitor& monitor() noexcept { return monitor_; }
  [[nodiscard]] const lease_monitor& monitor() const noexcept { return monitor_; }
  dead_letter_store& dead_letters() noexcept { return dead_letters_; }
  dedup_index& dedup() noexcept { return dedup_; }
  // Summaries of the live messages, for operators (pending, scheduled, in flight).
  live_index& live() noexcept { return live_; }
  [[nodiscard]] const live_index& live() const noexcept { return live_; }
  // Recovery: m was its ordering key's active message, waiting for a retry at `due`. Makes it
  // the key's active message again and schedules it (or holds it, if another recovered message
  // leads the key now).
  void restore_keyed_retry(std::unique_ptr<message> m, sys_time due);
  // m (with an ordering key) settled or was dropped: publishes its key's next message.
  void release_ordering(const message& m) noexcept;
  [[nodiscard]] const dedup_index& dedup() const noexcept { return dedup_; }
  [[nodiscard]] const dead_letter_store& dead_letters() const noexcept { return dead_letters_; }

  // Starts the workers and the timekeeper; stop() tells both to finish (see engine_core::stop).
  void start();
  void stop() noexcept;

  void record_failure(failure_record record);
  [[nodiscard]] queue_stats stats() const;
  // Counters and latencies count from now on (gauges are unaffected); recent failures cleared.
  void reset_metrics();

 private:
  engine_core& core_;
  const std::uint32_t index_;
  const std::string name_;
  const queue_options options_;
  std::deque<std::unique_ptr<handler_entry>> handlers_;  // stable addresses
  mpmc_ring<message*> ring_;
  mpmc_ring<message*> spare_;          // recycled envelopes
  std::atomic<std::size_t> depth_{0};  // admitted and not yet taken (ring + overflow)
  std::mutex overflow_mutex_;
  std::deque<message*> overflow_;           // FIFO behind the ring; guarded by overflow_mutex_
  std::atomic<std::size_t> overflowed_{0};  // overflow_.size(), readable without the lock
  std::atomic<std::uint64_t> overflow_publishes_{0};
  std::atomic<std::uint64_t> overflow_refills_{0};

  void push_ready(message* raw) noexcept;
  [[nodiscard]] message* take_from_overflow() noexcept;
  void refill_ring_locked() noexcept;
  wake_signal ready_;
  wake_signal space_;
  mutable std::mutex failures_mutex_;
  std::deque<failure_record> recent_failures_;
  queue_stats baseline_;  // queue-level counters at the last reset (under failures_mutex_)
  detail::timekeeper timekeeper_;
  dead_letter_store dead_letters_;
  dedup_index dedup_;
  live_index live_;
  const std::size_t low_water_;  // blocked producers wake when depth_ falls to it
  ordering_index ordering_;
  worker_pool workers_;
  lease_monitor monitor_;  // after workers_: it scans them
};

}  // namespace sluice::detail
