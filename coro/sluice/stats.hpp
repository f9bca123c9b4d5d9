// Point-in-time figures of an engine and its queues, as returned by engine::stats().
// Counters are totals since start (or the last reset); gauges are current values.
#pragma once

#include "sluice/message/failure.hpp"
#include "sluice/stats/latency_histogram.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace sluice {

struct queue_stats {
  std::string name;
  std::uint64_t enqueued = 0;                      // admitted into the queue
  std::uint64_t processed = 0;                     // handler returned (acknowledged)
  std::uint64_t failed = 0;                        // handler threw
  std::uint64_t retried = 0;                       // failures scheduled for another attempt
  std::uint64_t snoozed = 0;                       // deliveries the handler snoozed
  std::uint64_t timed_out = 0;                     // deliveries cancelled by their handler's timeout
  std::uint64_t stuck = 0;                         // deliveries revoked as stuck (ignored the cancellation)
  std::uint64_t stuck_running = 0;                 // of those, handlers still running (their workers replaced)
  std::uint64_t lease_expired = 0;                 // deliveries revoked because their lease ended
  std::uint64_t heartbeats = 0;                    // automatic lease renewals
  std::uint64_t lease_lost = 0;                    // stale outcomes or extensions rejected (lease_lost)
  std::uint64_t dead_lettered = 0;                 // messages moved to the dead-letter queue
  std::uint64_t dead_letters_evicted = 0;          // dropped from a full dead-letter queue (oldest first)
  std::uint64_t pending = 0;                       // ready, waiting for a worker
  std::uint64_t in_flight = 0;                     // handed to a handler that has not finished
  std::uint64_t scheduled = 0;                     // waiting for a moment (retry backoff, snooze)
  std::uint64_t dead_letters = 0;                  // dead-letter queue depth
  std::uint64_t workers = 0;                       // live workers (busy or idle)
  std::uint64_t worker_wakeups = 0;                // parked workers woken by a notification
  std::uint64_t ring_overflows = 0;                // publishes that found their ring slot held (docs/design.md)
  std::uint64_t dedup_keys = 0;                    // live deduplication keys (pending, in flight or retained)
  std::uint64_t dedup_replaced = 0;                // enqueues that replaced a waiting message's payload
  std::uint64_t dedup_rejected = 0;                // enqueues rejected as duplicates
  std::uint64_t ordering_held = 0;                 // waiting behind an earlier message with their ordering key
  std::chrono::nanoseconds oldest_pending_age{0};  // longest wait of a pending message since it became ready
  latency_histogram::summary queue_wait;           // enqueue to handler start
  latency_histogram::summary processing;           // handler start to finish
  std::vector<failure_record> recent_failures;     // newest first
};

// The journal, when persistence is on.
struct journal_stats {
  bool enabled = false;
  std::uint64_t batches = 0;  // group commits (one write and, in fsync mode, one fdatasync each)
  std::uint64_t records = 0;
  std::uint64_t failed_batches = 0;
  std::uint64_t largest_batch = 0;                // submissions in one group commit
  std::uint64_t pending = 0;                      // submissions waiting for the disk now
  std::uint64_t failures = 0;                     // fire-and-forget records (acks, retries...) that failed
  latency_histogram::summary enqueue_to_durable;  // submit to durable completion, per enqueue
};

// What one snapshot did (engine::async_snapshot's result).
struct snapshot_report {
  bool committed = false;         // false: nothing had changed since the last one
  std::uint64_t covered_lsn = 0;  // journal records up to here are in the snapshot
  int generation = 0;             // which of the two databases (snapshot.N.sqlite) it wrote
  std::uint64_t rows_written = 0;
  std::uint64_t rows_erased = 0;
  std::uint64_t segments_deleted = 0;  // journal segments both generations cover
  std::chrono::microseconds took{0};
};

// Snapshots, when persistence is on.
struct snapshot_stats {
  bool enabled = false;
  std::uint64_t snapshots = 0;  // committed
  std::uint64_t failures = 0;   // not committed (SQLite busy, disk full, I/O error): retried, journal kept
  std::uint64_t covered_lsn = 0;
  std::uint64_t segments_deleted = 0;
  std::uint64_t behind_records = 0;  // durable journal records not yet in the newest snapshot
  std::chrono::microseconds last_took{0};
  std::chrono::microseconds longest_took{0};
  std::string last_error;  // empty after a success
};

struct engine_stats {
  std::vector<queue_stats> queues;
  std::uint64_t timer_expiries = 0;  // engine alarms that fired
  journal_stats journal;
  snapshot_stats snapshot;
};

}  // namespace sluice
