// One queue at run time (see queue_runtime.hpp).
#include "sluice/detail/queue_runtime.hpp"

#include "sluice/detail/engine_core.hpp"

#include <boost/asio/co_spawn.hpp>

#include <algorithm>
#include <bit>

namespace sluice::detail {

namespace {

// Queue-level counters a metrics reset restarts from zero (the workers' own are in worker_pool).
constexpr std::uint64_t queue_stats::*resettable_counters[] = {
    &queue_stats::enqueued,      &queue_stats::ring_overflows,       &queue_stats::worker_wakeups,
    &queue_stats::dead_lettered, &queue_stats::dead_letters_evicted, &queue_stats::dedup_replaced,
    &queue_stats::dedup_rejected};

}  // namespace

namespace asio = boost::asio;

namespace {
constexpr std::size_t max_spare_envelopes = 1024;
constexpr std::size_t max_recycled_payload_bytes = 4096;

lease_terms lease_terms_of(const handler_options& o) {
  return lease_terms{o.timeout, o.stuck_grace, o.lease_duration, o.heartbeat};
}
}  // namespace

queue_runtime::queue_runtime(engine_core& core, std::uint32_t index, std::string name, queue_options options)
    : core_(core),
      index_(index),
      name_(std::move(name)),
      options_(options),
      // Slack for pops in progress (one per worker) makes the overflow path rare; it cannot
      // make it impossible (see the header), which is why the overflow exists.
      ring_(std::bit_ceil(std::max<std::size_t>(2, options.capacity + options.max_workers))),
      spare_(std::min<std::size_t>(ring_.capacity(), max_spare_envelopes)),
      ready_(core.executor()),
      space_(core.executor()),
      timekeeper_(core.executor(), core.clock(), *this),
      dead_letters_(options.dead_letter_capacity),
      dedup_(options.dedup_window),
      live_(core.options().track_messages),
      low_water_(options.capacity - std::max<std::size_t>(1, std::min<std::size_t>(options.capacity / 4, 1024))),
      workers_(core, *this),
      monitor_(core.executor(), core.clock(), workers_) {}

queue_runtime::~queue_runtime() {
  message* m = nullptr;
  while (ring_.try_pop(m)) delete m;
  for (message* o : overflow_) delete o;
  while (spare_.try_pop(m)) delete m;
}

std::unique_ptr<message> queue_runtime::new_message() {
  message* m = nullptr;
  if (spare_.try_pop(m)) return std::unique_ptr<message>(m);
  return std::make_unique<message>();
}

void queue_runtime::recycle(std::unique_ptr<message> m) noexcept {
  if (!m) return;
  if (live_.enabled()) live_.erase(*m);
  if (m->payload.capacity() > max_recycled_payload_bytes) return;
  m->reset_for_reuse();
  if (spare_.try_push(m.get())) (void)m.release();
}

bool queue_runtime::add_handler(std::string type, handler_fn fn, handler_options options) {
  if (find_handler(type)) return false;
  const lease_terms terms = lease_terms_of(options);
  handlers_.push_back(
      std::make_unique<handler_entry>(handler_entry{std::move(type), std::move(fn), std::move(options), terms}));
  return true;
}

void queue_runtime::start() {
  core_.worker_started();  // the timekeeper counts as a coroutine stop waits for
  asio::co_spawn(timekeeper_.executor(), timekeeper_.run(), [this](const std::exception_ptr& e) {
    if (e) core_.log(log_level::error, "timekeeper of queue '" + name_ + "' died: " + describe(e).cause.what);
    core_.worker_exited();
  });
  core_.worker_started();  // so does the lease monitor
  asio::co_spawn(monitor_.executor(), monitor_.run(), [this](const std::exception_ptr& e) {
    if (e) core_.log(log_level::error, "lease monitor of queue '" + name_ + "' died: " + describe(e).cause.what);
    core_.worker_exited();
  });
  workers_.start();
}

void queue_runtime::stop() noexcept {
  space_.close();  // blocked producers complete with shutting_down
  timekeeper_.stop();
  monitor_.stop();  // from here the stop deadline, not handler timeouts, bounds the drain
  workers_.begin_stop();
}

std::optional<std::uint32_t> queue_runtime::find_handler(std::string_view type) const noexcept {
  // Queues carry a handful of types: a linear scan beats hashing the name.
  for (std::size_t i = 0; i < handlers_.size(); ++i) {
    if (handlers_[i]->type == type) return static_cast<std::uint32_t>(i);
  }
  return std::nullopt;
}

bool queue_runtime::try_admit() noexcept {
  std::size_t depth = depth_.load(std::memory_order_relaxed);
  while (depth < options_.capacity) {
    if (depth_.compare_exchange_weak(depth, depth + 1, std::memory_order_relaxed)) return true;
  }
  return false;
}

void queue_runtime::cancel_admission() noexcept {
  depth_.fetch_sub(1, std::memory_order_seq_cst);
  space_.notify_one_after_seq_cst_rmw();
}

void queue_runtime::publish(std::unique_ptr<message> m) noexcept {
  const sys_time now = live_.enabled() ? core_.clock().now() : sys_time{};
  publish(std::move(m), now);
}

void queue_runtime::publish(std::unique_ptr<message> m, sys_time since) noexcept {
  if (live_.enabled()) live_.pending(*m, since);
  if (!m->ordering_key.empty()) {
    try {
      m = ordering_.admit_or_hold(std::move(m));
    } catch (...) {
      core_.log(log_level::error, "out of memory holding a message behind its ordering key");
      return;
    }
    if (!m) return;  // held behind its key's active message, keeping its admission
  }
  push_ready(m.release());
  ready_.notify_one();
}

void queue_runtime::restore_keyed_retry(std::unique_ptr<message> m, sys_time due) {
  if (live_.enabled()) live_.pending(*m, core_.clock().now());  // held, or scheduled below
  depth_.fetch_add(1, std::memory_order_relaxed);               // a held message keeps an admission
  m = ordering_.admit_or_hold(std::move(m));
  if (!m) return;                                  // held behind the key's recovered active message
  depth_.fetch_sub(1, std::memory_order_relaxed);  // active: admitted when the timekeeper publishes it
  timekeeper_.schedule(std::move(m), due, timekeeper::origin::reschedule);
}

void queue_runtime::release_ordering(const message& m) noexcept {
  if (m.ordering_key.empty()) return;
  if (auto next = ordering_.on_settled(m)) {
    push_ready(next.release());  // admitted when it was held
    ready_.notify_one();
  }
}

void queue_runtime::publish_forced(std::unique_ptr<message> m) noexcept {
  depth_.fetch_add(1, std::memory_order_relaxed);
  publish(std::move(m));
}

void queue_runtime::push_ready(message* raw) noexcept {
  // While anything waits in overflow, later messages queue behind it: FIFO holds.
  if (overflowed_.load(std::memory_order_acquire) == 0 && ring_.try_emplace(raw)) return;
  std::lock_guard lock(overflow_mutex_);
  if (overflow_.empty() && ring_.try_emplace(raw)) return;  // drained meanwhile
  overflow_.push_back(raw);
  overflowed_.store(overflow_.size(), std::memory_order_release);
  overflow_publishes_.fetch_add(1, std::memory_order_relaxed);
}

void queue_runtime::refill_ring_locked() noexcept {
  while (!overflow_.empty() && ring_.try_emplace(overflow_.front())) {
    overflow_.pop_front();
    overflow_refills_.fetch_add(1, std::memory_order_relaxed);
  }
  overflowed_.store(overflow_.size(), std::memory_order_release);
}

message* queue_runtime::take_from_overflow() noexcept {
  std::lock_guard lock(overflow_mutex_);
  refill_ring_locked();
  message* raw = nullptr;
  if (ring_.try_pop(raw)) return raw;
  if (overflow_.empty()) return nullptr;
  raw = overflow_.front();  // the ring is still blocked at its head: serve overflow directly
  overflow_.pop_front();
  overflowed_.store(overflow_.size(), std::memory_order_release);
  return raw;
}

std::unique_ptr<message> queue_runtime::try_take() noexcept {
  message* raw = nullptr;
  if (ring_.try_pop(raw)) {
    if (overflowed_.load(std::memory_order_relaxed) != 0) {
      std::lock_guard lock(overflow_mutex_);
      refill_ring_locked();  // a slot just freed: keep overflow draining in order
    }
  } else if (overflowed_.load(std::memory_order_acquire) == 0 || !(raw = take_from_overflow())) {
    return nullptr;
  }
  // seq_cst: a producer parked for room re-checks depth_ after prepare()'s fence, so this RMW
  // and that fence order "room freed" against "producer announced"; no fence needed here.
  // Producers parked on a full queue are woken one at a time, and only once it has drained to the
  // low-water mark: a woken producer refills many places without waiting again (an enqueue that
  // finds room completes at once), instead of one wake-up, one post and one place per message
  // taken. Below the mark every take wakes one more, so room left by a producer that had little
  // to send goes to the next.
  if (depth_.fetch_sub(1, std::memory_order_seq_cst) <= low_water_ + 1) space_.notify_one_after_seq_cst_rmw();
  return std::unique_ptr<message>(raw);
}

void queue_runtime::record_failure(failure_record record) {
  std::lock_guard lock(failures_mutex_);
  recent_failures_.push_front(std::move(record));
  while (recent_failures_.size() > core_.options().recent_failures_kept) recent_failures_.pop_back();
}

queue_stats queue_runtime::stats() const {
  queue_stats s;
  s.name = name_;
  // Every publish is one ring push, or one overflow entry that may later become a ring push.
  s.enqueued = ring_.pushes() + overflow_publishes_.load(std::memory_order_relaxed) -
               overflow_refills_.load(std::memory_order_relaxed);
  s.ring_overflows = overflow_publishes_.load(std::memory_order_relaxed);
  s.pending = depth_.load(std::memory_order_relaxed);
  s.worker_wakeups = ready_.wakeups();
  s.scheduled = timekeeper_.scheduled();
  s.dead_letters = dead_letters_.size();
  s.dead_lettered = dead_letters_.total();
  s.dead_letters_evicted = dead_letters_.evicted();
  s.dedup_keys = dedup_.size();
  s.ordering_held = ordering_.held();
  if (s.pending > 0 && live_.enabled()) {
    if (auto oldest = live_.oldest_pending()) {
      s.oldest_pending_age = std::max<std::chrono::nanoseconds>(core_.clock().now() - *oldest, {});
    }
  }
  s.dedup_replaced = dedup_.replaced();
  s.dedup_rejected = dedup_.rejected();
  workers_.collect(s);
  std::lock_guard lock(failures_mutex_);
  s.recent_failures.assign(recent_failures_.begin(), recent_failures_.end());
  auto since = [&](std::uint64_t queue_stats::*f) { s.*f = s.*f > baseline_.*f ? s.*f - baseline_.*f : 0; };
  for (auto f : resettable_counters) {
    since(f);
  }
  return s;
}

void queue_runtime::reset_metrics() {
  queue_stats now = stats();  // since the previous reset
  workers_.reset_metrics();
  std::lock_guard lock(failures_mutex_);
  for (auto f : resettable_counters) {
    baseline_.*f += now.*f;
  }
  recent_failures_.clear();
}

}  // namespace sluice::detail
