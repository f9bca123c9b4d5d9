// Worker coroutines of one queue (see worker_pool.hpp).
#include "sluice/detail/worker_pool.hpp"

#include "sluice/context.hpp"
#include "sluice/detail/engine_core.hpp"
#include "sluice/detail/queue_runtime.hpp"
#include "sluice/error.hpp"
#include "sluice/journal/record_codec.hpp"
#include "sluice/permanent_error.hpp"
#include "sluice/persist/durable_store.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

namespace sluice::detail {

namespace asio = boost::asio;

namespace {

// handler_options::retry_if: empty retries everything; a filter that throws retries too.
bool retried(const retry_filter& retry_if, const std::exception& e) noexcept {
  if (!retry_if) return true;
  try {
    return retry_if(e);
  } catch (...) {
    return true;
  }
}

std::string millis(std::chrono::nanoseconds d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}

failure revocation_cause(revocation why, const lease_terms& terms) {
  if (why == revocation::stuck) {
    return failure{"sluice::handler_stuck", "still running " + millis(terms.stuck_grace) + " after its timeout of " +
                                                millis(terms.timeout) + " cancelled it; retried on a new worker"};
  }
  return failure{"sluice::lease_expired",
                 "the lease of " + millis(terms.duration) + " ended without a heartbeat or an extension"};
}

// A handler that failed after its timeout fired: the timeout is the cause operators look for.
void blame_timeout(classified_failure& f, const lease_terms& terms) {
  f.cause.what = "timed out after " + millis(terms.timeout) + "; the handler then threw " + f.cause.error_type + ": " +
                 f.cause.what;
  f.cause.error_type = "sluice::handler_timeout";
}

}  // namespace

struct worker_pool::worker {
  worker(std::uint64_t i, asio::strand<asio::any_io_executor> s) : id(i), strand(std::move(s)), executor(strand) {}
  std::uint64_t id = 0;
  asio::strand<asio::any_io_executor> strand;
  asio::any_io_executor executor;    // the strand, type-erased once: handlers' context refers to it
  asio::cancellation_signal cancel;  // emitted on `strand` only
  bool cancel_emitted = false;       // strand-local: reset the coroutine's cancellation state
  bool retired = false;              // left by consuming a retirement (live_ already counted)
  bool replaced = false;             // its delivery was revoked and a new worker took its place (mutex_)
  std::uint64_t running_epoch = 0;   // strand-local: the lease epoch of the running delivery, 0 = idle
  delivery_lease lease;              // the running delivery's deadlines, shared with the monitor
  delivery_stats stats;
  random_source random{0};  // retry jitter; seeded per worker from engine_options::random_seed
  // Where this worker notes its checkouts (strand-local; taken at the first delivery, released
  // with the worker). Empty without a ledger or when every slot is taken.
  std::optional<journal::checkout_ledger::slot> ledger_slot;
  std::list<std::unique_ptr<worker>>::iterator self;
};

worker_pool::worker_pool(engine_core& core, queue_runtime& queue)
    : core_(core), queue_(queue), monitor_random_(core.random_seed() ^ ~std::uint64_t{queue.index()}) {}

worker_pool::~worker_pool() = default;

void worker_pool::start() {
  std::lock_guard lock(mutex_);
  while (live_ < queue_.options().min_workers) spawn_locked();
}

std::size_t worker_pool::live() const noexcept {
  std::lock_guard lock(mutex_);
  return live_;
}

void worker_pool::collect(queue_stats& out) const {
  auto totals = std::make_unique<delivery_stats>();  // two histograms: too big for the stack
  std::lock_guard lock(mutex_);
  retired_.add_to(*totals);
  monitor_stats_.add_to(*totals);
  std::uint64_t busy = 0;
  std::uint64_t stuck_running = 0;
  for (const auto& w : workers_) {
    w->stats.add_to(*totals);
    if (w->replaced) {
      ++stuck_running;
    } else {
      busy += w->stats.busy.load(std::memory_order_relaxed) ? 1 : 0;
    }
  }
  const auto since = [&](const std::atomic<std::uint64_t> delivery_stats::*field) {
    const auto now = ((*totals).*field).load(std::memory_order_relaxed);
    const auto then = baseline_ ? ((*baseline_).*field).load(std::memory_order_relaxed) : 0;
    return now > then ? now - then : 0;
  };
  out.processed = since(&delivery_stats::processed);
  out.failed = since(&delivery_stats::failed);
  out.retried = since(&delivery_stats::retried);
  out.snoozed = since(&delivery_stats::snoozed);
  out.timed_out = since(&delivery_stats::timed_out);
  out.stuck = since(&delivery_stats::stuck);
  out.stuck_running = stuck_running;
  out.lease_expired = since(&delivery_stats::lease_expired);
  out.heartbeats = since(&delivery_stats::heartbeats);
  out.lease_lost = since(&delivery_stats::lease_lost);
  out.in_flight = busy;
  out.workers = live_;
  if (baseline_) {
    totals->queue_wait.subtract(baseline_->queue_wait);
    totals->processing.subtract(baseline_->processing);
  }
  out.queue_wait = totals->queue_wait.summarize();
  out.processing = totals->processing.summarize();
}

void worker_pool::reset_metrics() {
  auto totals = std::make_unique<delivery_stats>();
  std::lock_guard lock(mutex_);
  retired_.add_to(*totals);
  monitor_stats_.add_to(*totals);
  for (const auto& w : workers_) w->stats.add_to(*totals);
  baseline_ = std::move(totals);
}

boost::system::error_code worker_pool::scale(std::size_t workers) {
  const auto& o = queue_.options();
  if (workers < o.min_workers || workers > o.max_workers) return make_error_code(errc::invalid_argument);
  if (stopping_.load(std::memory_order_acquire)) return make_error_code(errc::shutting_down);
  std::unique_lock lock(mutex_);
  std::size_t budget = retire_budget_.load(std::memory_order_relaxed);
  std::size_t effective = live_ - budget;
  if (workers > effective) {
    const std::size_t cancel = std::min(budget, workers - effective);
    retire_budget_.store(budget - cancel, std::memory_order_relaxed);
    effective += cancel;
    while (effective < workers) {
      spawn_locked();
      ++effective;
    }
  } else if (workers < effective) {
    retire_budget_.store(budget + (effective - workers), std::memory_order_release);
    lock.unlock();
    queue_.ready_signal().notify_all();  // idle workers wake, see the budget, and exit
  }
  return {};
}

void worker_pool::begin_stop() noexcept {
  stopping_.store(true, std::memory_order_release);
  queue_.ready_signal().close();
}

void worker_pool::cancel_in_flight() {
  std::lock_guard lock(mutex_);
  for (auto& w : workers_) post_cancel_locked(*w, 0);
}

void worker_pool::post_cancel_locked(const worker& w, std::uint64_t epoch) {
  // Emit on the worker's own strand. The worker erases itself on that strand too, so look it up
  // again there instead of holding a pointer that might dangle.
  asio::post(w.strand, [this, id = w.id, epoch] {
    std::unique_lock inner(mutex_);
    for (auto& candidate : workers_) {
      if (candidate->id == id) {
        worker* target = candidate.get();
        inner.unlock();
        // Still suspended inside the handler of that delivery (not a later one)?
        if (target->running_epoch != 0 && (epoch == 0 || target->running_epoch == epoch)) {
          target->cancel_emitted = true;
          target->cancel.emit(asio::cancellation_type::terminal);
        }
        return;
      }
    }
  });
}

sys_time worker_pool::expire_due(sys_time now) {
  struct revoked_delivery {
    std::unique_ptr<message> copy;
    failure cause;
  };
  std::vector<revoked_delivery> revoked;
  sys_time next = delivery_lease::never;
  {
    std::lock_guard lock(mutex_);
    for (auto& w : workers_) {
      if (w->replaced) continue;  // revoked already; its handler's outcome will be rejected
      // Without memory for the copy, check() leaves the delivery running and asks again in 1 s.
      // A revoked delivery's copy takes its place in the operators' index.
      const delivery_lease::revoke_hook unindex{
          [](void* index, message& original) noexcept { static_cast<live_index*>(index)->erase(original); },
          &queue_.live()};
      delivery_lease::check_result r =
          w->lease.check(now, queue_.live().enabled() ? unindex : delivery_lease::revoke_hook{nullptr, nullptr});
      if (r.heartbeat) delivery_stats::bump(monitor_stats_.heartbeats);
      if (r.timed_out) delivery_stats::bump(monitor_stats_.timed_out);
      if (r.cancel) post_cancel_locked(*w, r.epoch);
      if (r.revoked == revocation::none) {
        next = std::min(next, r.next);
        continue;
      }
      const lease_terms& terms = queue_.handler_at(r.copy->handler_index).terms;
      delivery_stats::bump(r.revoked == revocation::stuck ? monitor_stats_.stuck : monitor_stats_.lease_expired);
      core_.log(log_level::warn, "queue '" + queue_.name() + "': delivery " + std::to_string(r.epoch) + " of " +
                                     r.copy->id.to_string() +
                                     (r.revoked == revocation::stuck ? " is stuck" : " lost its lease") +
                                     "; the message is retried and the worker replaced");
      w->replaced = true;  // the worker exits once its handler returns
      --live_;
      if (!stopping_.load(std::memory_order_acquire)) spawn_locked();  // keep the queue's parallelism
      try {
        revoked.push_back({std::move(r.copy), revocation_cause(r.revoked, terms)});
      } catch (...) {
        core_.log(log_level::error, "out of memory requeueing a revoked delivery");
      }
    }
  }
  for (auto& r : revoked) {
    core_.settle().revoked(queue_, monitor_stats_, monitor_random_, std::move(r.copy), std::move(r.cause));
  }
  return next;
}

bool worker_pool::should_exit(worker* w) noexcept {
  if (stopping_.load(std::memory_order_acquire)) return true;
  if (retire_budget_.load(std::memory_order_acquire) == 0) return false;
  std::lock_guard lock(mutex_);
  std::size_t budget = retire_budget_.load(std::memory_order_relaxed);
  if (budget == 0) return false;
  retire_budget_.store(budget - 1, std::memory_order_relaxed);
  --live_;
  w->retired = true;
  return true;
}

void worker_pool::spawn_locked() {
  auto w = std::make_unique<worker>(++next_id_, asio::make_strand(core_.executor()));
  w->random = random_source(core_.random_seed() ^ (static_cast<std::uint64_t>(queue_.index()) << 32) ^ w->id);
  worker* raw = w.get();
  workers_.push_back(std::move(w));
  raw->self = std::prev(workers_.end());
  ++live_;
  core_.worker_started();
  // Posted, not spawned here: co_spawn dispatches, so called from inside a handler it would run
  // the worker inline while we still hold mutex_ (the lease monitor replaces workers that way).
  asio::post(raw->strand, [this, raw] {
    asio::co_spawn(raw->strand, run(raw),
                   asio::bind_cancellation_slot(raw->cancel.slot(),
                                                [this, raw](std::exception_ptr e) { on_exit(raw, std::move(e)); }));
  });
}

void worker_pool::on_exit(worker* w, std::exception_ptr error) noexcept {
  // The completion may run inside the coroutine's last step: finish on the strand afterwards,
  // when the coroutine frame (which refers to w's cancellation signal) is gone.
  asio::post(w->strand, [this, w, error = std::move(error)] { finish_exit(w, error); });
}

void worker_pool::finish_exit(worker* w, const std::exception_ptr& error) noexcept {
  {
    std::lock_guard lock(mutex_);
    if (!w->retired && !w->replaced) --live_;
    w->stats.add_to(retired_);
    workers_.erase(w->self);
  }
  if (error) {
    core_.log(log_level::error, "worker of queue '" + queue_.name() + "' died: " + describe(error).cause.what);
    if (!stopping_.load(std::memory_order_acquire)) {
      std::lock_guard lock(mutex_);
      spawn_locked();  // keep the parallelism the operator asked for
    }
  }
  core_.worker_exited();
}

asio::awaitable<void> worker_pool::run(worker* w) {
  std::size_t streak = 0;
  const std::size_t yield_every = queue_.options().yield_every == 0 ? 1 : queue_.options().yield_every;
  auto& ready = queue_.ready_signal();
  // When a worker takes its next message right after finishing one, the finish time is the next
  // start time: one clock read per message instead of two on the busy path.
  std::optional<sys_time> now_hint;
  for (;;) {
    if (should_exit(w)) co_return;
    std::unique_ptr<message> m = queue_.try_take();
    if (!m) {
      ready.prepare();
      m = queue_.try_take();
      if (!m) {
        if (stopping_.load(std::memory_order_acquire)) {
          ready.cancel_prepare();
          co_return;
        }
        auto [ec] = co_await ready.async_wait(asio::as_tuple(asio::use_awaitable));
        (void)ec;  // woken, closed or cancelled: the loop re-checks the exit conditions
        if (w->cancel_emitted) {
          w->cancel_emitted = false;
          co_await asio::this_coro::reset_cancellation_state();
        }
        streak = 0;
        now_hint.reset();
        continue;
      }
      ready.cancel_prepare();
    }
    const sys_time started = now_hint ? *now_hint : core_.clock().now();
    now_hint = co_await deliver(w, std::move(m), started);
    if (!now_hint) co_return;  // revoked: a replacement worker has taken this one's place
    if (++streak >= yield_every) {
      streak = 0;
      now_hint.reset();
      co_await asio::post(w->strand, asio::use_awaitable);  // let the application's work run
    }
  }
}

bool worker_pool::note_checkout(persist::durable_store& store, worker& w, const message& m) {
  journal::checkout_ledger* ledger = store.ledger();
  if (ledger == nullptr) return false;
  if (!w.ledger_slot) {
    auto slot = ledger->acquire();
    if (!slot) return false;
    w.ledger_slot.emplace(std::move(*slot));
  }
  const journal::checkout_event checkout{m.id, m.attempt, m.lease_epoch};
  w.ledger_slot->note(checkout);
  store.record(checkout);
  return true;
}

asio::awaitable<bool> worker_pool::journal_checkout(persist::durable_store& store, const message& m) {
  const journal::checkout_event checkout{m.id, m.attempt, m.lease_epoch};
  if (!store.syncs()) {
    store.record(checkout);
    co_return true;
  }
  auto token = asio::as_tuple(asio::use_awaitable);
  auto [ec, lsn] = co_await asio::async_initiate<decltype(token), void(boost::system::error_code, std::uint64_t)>(
      [&store, &checkout](auto handler) {
        store.record_then(checkout, persist::durable_store::done_handler(std::move(handler)),
                          persist::completes::written);
      },
      token);
  (void)lsn;
  if (ec) core_.log(log_level::error, "cannot journal a checkout (" + ec.message() + "): the message waits 1 s");
  co_return !ec;
}

asio::awaitable<std::optional<sys_time>> worker_pool::deliver(worker* w, std::unique_ptr<message> m, sys_time started) {
  auto& stats = w->stats;
  stats.queue_wait.record_single_writer(started - m->enqueued_at);
  stats.busy.store(true, std::memory_order_relaxed);
  ++m->attempt;
  ++m->lease_epoch;
  if (queue_.live().enabled()) live_index::in_flight(*m, started);
  if (!m->dedup_key.empty()) queue_.dedup().on_take(*m);  // before anything reads the payload
  const handler_entry& h = queue_.handler_at(m->handler_index);
  if (auto* store = core_.store()) {
    // The checkout is journaled before the handler runs: a message that takes the whole process
    // down still has this attempt counted, and reaches the dead-letter queue after max_retries.
    // Noted in the checkout ledger (a store into a locked shared mapping), or else written, and
    // never synced: a process crash keeps what the kernel was given, and a message cannot cause a
    // power loss (which may leave this attempt uncounted: docs/design.md, "Checkouts").
    if (!note_checkout(*store, *w, *m) && !co_await journal_checkout(*store, *m)) {
      --m->attempt;
      --m->lease_epoch;
      stats.busy.store(false, std::memory_order_relaxed);
      core_.settle().postpone(queue_, std::move(m), core_.clock().now() + std::chrono::seconds(1));
      co_return core_.clock().now();
    }
  }
  w->running_epoch = m->lease_epoch;
  if (h.terms.any()) {
    const sys_time deadline = w->lease.begin(*m, h.terms, started);
    queue_.monitor().note(deadline);
  }
  std::optional<classified_failure> failed;
  delivery_outcome outcome;
  {
    context ctx(core_, *m, queue_.name(), w->executor, outcome, h.terms.any() ? &w->lease : nullptr, stats.lease_lost);
    // Classified right here, by catch clause: rethrowing to classify later would unwind again,
    // and unwinding dominates the cost of a failure.
    try {
      co_await h.fn(*m, ctx);
    } catch (const permanent_error& e) {
      failed = classify(e, failure_kind::permanent);
    } catch (const decode_error& e) {
      failed = classify(e, failure_kind::permanent);
    } catch (const std::exception& e) {
      failed = classify(e, retried(h.options.retry_if, e) ? failure_kind::retryable : failure_kind::permanent);
    } catch (...) {
      failed = classify_unknown();
    }
  }
  const delivery_lease::finish_result lease = h.terms.any() ? w->lease.finish() : delivery_lease::finish_result{};
  w->running_epoch = 0;
  stats.busy.store(false, std::memory_order_relaxed);  // before the reset: no cancel lands after it
  if (w->cancel_emitted) {
    w->cancel_emitted = false;
    co_await asio::this_coro::reset_cancellation_state();
  }
  const sys_time finished = core_.clock().now();
  const auto took = std::chrono::duration_cast<std::chrono::nanoseconds>(finished - started);
  if (core_.tracing().enabled()) {
    const failure revoked{"sluice::lease_lost", "the delivery was revoked (timeout, stuck or lease expired)"};
    const failure* why = lease.revoked ? &revoked : failed ? &failed->cause : nullptr;
    core_.tracing().processed(queue_.name(), *m, started, finished, why);
  }
  if (lease.revoked) {  // stale: the monitor requeued a copy; this outcome must not apply
    delivery_stats::bump(stats.lease_lost);
    core_.observe(queue_.name(), *m, settle_outcome::lease_lost);
    stats.processing.record_single_writer(took);
    queue_.recycle(std::move(m));  // its copy was requeued (and indexed in its place) when it was revoked
    co_return std::nullopt;
  }
  if (failed) {
    if (lease.timed_out) blame_timeout(*failed, h.terms);
    core_.settle().failed(queue_, stats, w->random, std::move(m), std::move(*failed), took, outcome);
  } else {
    core_.settle().succeeded(queue_, stats, std::move(m), took, outcome);
  }
  co_return finished;
}

}  // namespace sluice::detail
