// Configuration structs of the engine, its queues and each enqueue. Defaults follow the
// operations table in docs/operations.md (capacity 10,000; payloads up to 1 MiB).
#pragma once

#include "sluice/log.hpp"
#include "sluice/message/message.hpp"
#include "sluice/observer.hpp"
#include "sluice/retry/backoff.hpp"
#include "sluice/retry_filter.hpp"
#include "sluice/time/clock.hpp"
#include "sluice/trace/span.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sluice {

namespace fs {
class file_system;
}

// What async_enqueue does when the queue is at capacity.
enum class full_policy : std::uint8_t {
  wait,  // complete once space frees (cancellable through the token's cancellation slot)
  fail,  // complete at once with errc::queue_full
};

// How a handler's failures are retried. Names follow the operations guide (max retries, backoff
// strategy, initial and max backoff). A message gets 1 + max_retries attempts, then it is
// dead-lettered; snoozed deliveries do not count.
//
// Timeouts and leases (docs/api.md, "Timeouts, stuck handlers and leases"): at `timeout` the
// handler is cancelled through its cancellation slot; still running `stuck_grace` later it is
// stuck: its message is retried on a new worker and its own outcome is rejected (lease_lost). The
// lease is the claim on the message; heartbeats renew it while the handler runs (before its
// timeout); without heartbeats a handler must extend it (context::async_extend_lease) or lose it.
struct handler_options {
  std::uint32_t max_retries = 5;
  backoff_policy backoff{};
  std::chrono::milliseconds timeout{std::chrono::minutes(2)};  // 0 = no timeout
  std::chrono::milliseconds stuck_grace{std::chrono::seconds(30)};
  std::chrono::milliseconds lease_duration{std::chrono::minutes(5)};  // 0 = no lease deadline
  bool heartbeat = true;
  // Which exceptions are retried; a refused one is dead-lettered at once as a permanent failure.
  // Empty: all but sluice::permanent_error and decode errors. sluice/retry_filter.hpp.
  retry_filter retry_if;
};

// What an enqueue with a dedup key does when the key is live (docs/api.md, "Deduplication").
enum class dedup_mode : std::uint8_t {
  reject,                   // fail with errc::duplicate_rejected
  replace_pending,          // the waiting message takes the new payload and keeps its id and place
  coalesce_after_inflight,  // as replace_pending; while in flight, hold exactly one follow-up
};

struct queue_options {
  std::size_t capacity = 10'000;  // ready messages the queue holds before producers wait or fail
  std::size_t min_workers = 1;    // workers started with the engine; scale() never goes below
  std::size_t max_workers = 4;    // scale() never goes above
  // Consecutive messages a worker runs before it yields its thread to other work on the
  // executor. Bounds how long a busy queue can starve the application's own handlers.
  std::size_t yield_every = 64;
  // Dead letters kept for operators; when full, the oldest is evicted (logged with its id and
  // counted in dead_letters_evicted), so this bounds the memory the queue's failures can take.
  std::size_t dead_letter_capacity = 10'000;
  // Messages waiting for a moment (delayed enqueues; retries and snoozes do not count, they are
  // never refused). A delayed enqueue beyond this fails with errc::queue_full.
  std::size_t max_scheduled = 1'000'000;
  // How long a dedup key stays taken after its message was acknowledged or dead-lettered;
  // enqueues with it meanwhile are rejected as duplicates. 0 = released at once.
  std::chrono::milliseconds dedup_window{0};
};

// How acknowledged work survives (docs/operations.md, "Persistence").
enum class durability : std::uint8_t {
  fsync,     // an enqueue completes once its journal batch is fdatasync'ed: survives power loss
  buffered,  // written to the journal without fdatasync: survives a process crash, not a power loss
  memory,    // nothing on disk
};

struct persistence_options {
  std::string data_dir;  // empty = nothing persisted (as durability::memory)
  durability mode = durability::fsync;
  std::uint64_t segment_bytes = 64ULL << 20;  // journal segment size before a roll
  // The journal keeps this much of its segment zero-filled ahead of the written end, so a commit's
  // fdatasync writes data blocks only (no file size to commit): a third faster here. 0 = append.
  std::uint64_t preallocate_bytes = 4ULL << 20;
  // A handler starts once its checkout is noted in <data_dir>/CHECKOUTS, a 256 KiB file mapped
  // into locked memory (a store, no system call), instead of once the journal's writer thread has
  // written the checkout record: a process crash keeps both alike (docs/design.md, "Checkouts").
  // Off, or when the file cannot be mapped and locked (RLIMIT_MEMLOCK; logged), every delivery
  // waits for its checkout record to be written.
  bool checkout_ledger = true;
  // On journal corruption, start with what precedes it (logged, with what was lost) instead of
  // failing with errc::journal_corrupt.
  bool salvage = false;
  fs::file_system* file_system = nullptr;  // nullptr = the real one; tests pass a simulated disk
  // Snapshots into SQLite (docs/design.md, "Snapshots"): after `snapshot_every_records` journal
  // records, after `snapshot_interval` with anything changed, at stop, and on
  // engine::async_snapshot(). Each lets the journal drop the segments both snapshot generations
  // cover. false: journal only (it then grows without bound and recovery replays all of it).
  bool snapshots = true;
  std::chrono::milliseconds snapshot_interval{30000};
  std::uint64_t snapshot_every_records = 1000;
  // Count-triggered snapshots come at most this often: under a burst they coalesce.
  std::chrono::milliseconds snapshot_min_gap{1000};
  bool snapshot_on_stop = true;
  [[nodiscard]] bool enabled() const noexcept { return !data_dir.empty() && mode != durability::memory; }
};

// Tracing with the OpenTelemetry messaging conventions (docs/api.md, "Tracing"): every enqueue
// records a "publish <queue>" span and stores a W3C traceparent header with the message; every
// delivery attempt records a "process <queue>" span, child of the publish span, linked to the
// previous attempt's. Messages enqueued by a handler continue its trace; an application's own
// traceparent header (from an incoming HTTP request, say) is continued too.
using span_sink = std::function<void(trace::span&&)>;

struct tracing_options {
  // Receives finished spans on the thread that finished them: must be thread-safe and must not
  // block (adapters/sluice/otel/otlp_exporter queues and batches). Empty: tracing off, no cost.
  span_sink sink;
  double sample_ratio = 1.0;  // share of new traces recorded; continued traces keep their decision
};

struct engine_options {
  std::size_t max_payload_bytes = 1U << 20;
  queue_options default_queue{};  // for queues a handler registration declares implicitly
  // The clock all timers read; must outlive the engine. nullptr = the real system clock.
  sluice::clock* clock = nullptr;
  // Where the engine reports problems (never payloads). Empty = warnings and errors to stderr.
  log_sink log;
  // Failures each queue keeps for inspection in stats() (the newest first).
  std::size_t recent_failures_kept = 16;
  handler_options default_handler{};  // for handlers registered without options
  // A dead letter replayed this many times is quarantined: replays skip it unless forced.
  std::uint32_t max_replays = 5;
  // Seeds retry jitter; 0 = a random seed. Tests fix it to replay exact retry times.
  std::uint64_t random_seed = 0;
  // Sees how every delivery ended (sluice/observer.hpp); empty = none (no cost).
  delivery_observer observer;
  persistence_options persistence{};  // default: in memory
  tracing_options tracing{};          // default: off
  // Keeps a summary of every live message (pending, scheduled, in flight) for
  // engine::list_messages / find_message, the admin API's /api/messages and the oldest-pending
  // age. Costs a few short critical sections per message: measured at 0.43x throughput in memory
  // and 0.8x durable end to end (perf/, "untracked" in the same run); off, those return nothing
  // but dead letters and the age is 0.
  bool track_messages = true;  // on by default: operators expect to see what is waiting
};

struct enqueue_options {
  full_policy on_full = full_policy::wait;
  // Workflow correlation. Empty: a root message correlates with itself; a message enqueued
  // through a handler's context inherits its parent's correlation id.
  std::string correlation_id;
  std::vector<header> headers;
  // Delivery not before this moment (absolute) and not before now + delay (relative); the later
  // of the two wins. A message due later waits in the queue's timekeeper, not in the ready ring.
  std::optional<sys_time> not_before;
  std::chrono::milliseconds delay{0};
  // Deduplication: messages of one queue with the same non-empty key are one logical job.
  std::string dedup_key;
  dedup_mode dedup = dedup_mode::replace_pending;
  // FIFO per key: messages with the same ordering key run one at a time, in enqueue order.
  std::string ordering_key;
};

}  // namespace sluice
