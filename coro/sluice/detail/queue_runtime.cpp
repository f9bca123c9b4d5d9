// One queue at run time (see queue_runtime.hpp).
#include "sluice/detail/queue_runtime.hpp"

#include "sluice/detail/engine_core.hpp"

#include <bit>
#include <cassert>

namespace sluice::detail {

queue_runtime::queue_runtime(engine_core& core, std::uint32_t index, std::string name, queue_options options)
    : core_(core),
      index_(index),
      name_(std::move(name)),
      options_(options),
      ring_(std::bit_ceil(options.capacity < 2 ? std::size_t{2} : options.capacity)),
      ready_(core.executor()),
      space_(core.executor()),
      workers_(core, *this) {}

queue_runtime::~queue_runtime() {
  message* m = nullptr;
  while (ring_.try_pop(m)) delete m;
}

bool queue_runtime::add_handler(std::string type, handler_fn fn) {
  if (find_handler(type)) return false;
  handlers_.push_back(std::make_unique<handler_entry>(handler_entry{std::move(type), std::move(fn)}));
  return true;
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

void queue_runtime::publish(std::unique_ptr<message> m) noexcept {
  const bool pushed = ring_.try_push(m.release());
  assert(pushed && "admission guarantees room in the ring");
  (void)pushed;
  counters_.enqueued.fetch_add(1, std::memory_order_relaxed);
  ready_.notify_one();
}

std::unique_ptr<message> queue_runtime::try_take() noexcept {
  message* raw = nullptr;
  if (!ring_.try_pop(raw)) return nullptr;
  depth_.fetch_sub(1, std::memory_order_relaxed);
  space_.notify_one();
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
  s.enqueued = counters_.enqueued.load(std::memory_order_relaxed);
  s.processed = counters_.processed.load(std::memory_order_relaxed);
  s.failed = counters_.failed.load(std::memory_order_relaxed);
  s.in_flight = counters_.in_flight.load(std::memory_order_relaxed);
  s.pending = depth_.load(std::memory_order_relaxed);
  s.workers = workers_.live();
  s.worker_wakeups = ready_.wakeups();
  s.queue_wait = counters_.queue_wait.summarize();
  s.processing = counters_.processing.summarize();
  std::lock_guard lock(failures_mutex_);
  s.recent_failures.assign(recent_failures_.begin(), recent_failures_.end());
  return s;
}

}  // namespace sluice::detail
