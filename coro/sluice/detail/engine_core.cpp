// Engine state, registry, start and stop (see engine_core.hpp).
#include "sluice/detail/engine_core.hpp"

#include "sluice/detail/queue_runtime.hpp"
#include "sluice/error.hpp"
#include "sluice/journal/journal_state.hpp"
#include "sluice/persist/durable_store.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>

#include <random>

namespace sluice::detail {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

std::uint16_t random_instance() {
  std::random_device rd;
  return static_cast<std::uint16_t>(rd());
}

void post_result(const asio::any_io_executor& fallback, stop_handler h, error_code ec) {
  asio::post(fallback, asio::append(std::move(h), ec));
}

}  // namespace

engine_core::engine_core(asio::any_io_executor ex, engine_options options)
    : executor_(std::move(ex)),
      options_(std::move(options)),
      clock_(options_.clock ? *options_.clock : default_clock()),
      ids_(random_instance()),
      random_seed_(options_.random_seed != 0 ? options_.random_seed
                                             : (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}()),
      settlement_(*this),
      tracer_(options_.tracing, random_seed_ ^ 0x7472616365ULL),
      control_(asio::make_strand(executor_)),
      stop_alarm_(control_, clock_) {
  if (!options_.log) options_.log = stderr_log_sink;
}

engine_core::~engine_core() {
  std::thread stopper;
  {
    std::lock_guard lock(stop_mutex_);
    stopper = std::move(stopper_);
  }
  if (stopper.joinable()) stopper.join();
}

void engine_core::log(log_level level, std::string_view line) const {
  try {
    options_.log(level, line);
  } catch (...) {
    // A throwing log sink must not take the engine down.
  }
}

void engine_core::notify_observer(std::string_view queue, const message& m, settle_outcome outcome) const noexcept {
  try {
    options_.observer(settled_delivery{queue, m, outcome});
  } catch (...) {
    log(log_level::warn, "the delivery observer threw; ignored");
  }
}

error_code engine_core::declare_queue(std::string_view name, queue_options options) {
  if (name.empty()) return make_error_code(errc::invalid_argument);
  if (state_.load() != run_state::created) return make_error_code(errc::invalid_argument);
  if (options.capacity == 0 || options.max_workers == 0 || options.min_workers > options.max_workers) {
    return make_error_code(errc::invalid_argument);
  }
  if (queues_by_name_.contains(name)) return make_error_code(errc::already_exists);
  const auto index = static_cast<std::uint32_t>(queues_.size());
  queues_.push_back(std::make_unique<queue_runtime>(*this, index, std::string(name), options));
  queues_by_name_.emplace(std::string(name), queues_.back().get());
  return {};
}

error_code engine_core::add_handler(std::string_view queue, std::string_view type, handler_fn fn,
                                    std::optional<handler_options> options) {
  if (type.empty() || !fn) return make_error_code(errc::invalid_argument);
  if (!options) options = options_.default_handler;
  if (const auto problem = validate(options->backoff); !problem.empty()) {
    log(log_level::error, "handler for '" + std::string(type) + "': " + std::string(problem));
    return make_error_code(errc::invalid_argument);
  }
  if (state_.load() != run_state::created) return make_error_code(errc::invalid_argument);
  queue_runtime* q = find_queue(queue);
  if (!q) {
    if (auto ec = declare_queue(queue, options_.default_queue)) return ec;
    q = find_queue(queue);
  }
  if (!q->add_handler(std::string(type), std::move(fn), std::move(*options))) {
    return make_error_code(errc::already_exists);
  }
  return {};
}

queue_runtime* engine_core::find_queue(std::string_view name) const noexcept {
  // Most engines have a handful of queues: comparing names beats hashing them on every enqueue.
  if (queues_.size() <= 8) {
    for (const auto& q : queues_) {
      if (q->name() == name) return q.get();
    }
    return nullptr;
  }
  const auto it = queues_by_name_.find(name);
  return it == queues_by_name_.end() ? nullptr : it->second;
}

error_code engine_core::start() {
  if (state_.load() != run_state::created) {
    return make_error_code(state_.load() == run_state::running ? errc::already_exists : errc::shutting_down);
  }
  if (options_.persistence.enabled() && !store_) {
    journal::recovered_state recovered;
    persist::recovery_summary summary;
    std::string detail;
    auto opened =
        persist::durable_store::open(options_.persistence, executor_, options_.log, recovered, summary, detail);
    if (!opened) {
      log(log_level::error, "cannot start: " + detail);
      return opened.error();
    }
    store_ = std::move(*opened);
    for (const auto& note : summary.notes) log(log_level::warn, "recovery: " + note);
    restore(recovered);
    log(log_level::info, "recovered " + std::to_string(summary.ready + summary.scheduled + summary.in_flight) +
                             " messages (" + std::to_string(summary.dead) + " dead-lettered, " +
                             std::to_string(summary.scheduled) + " scheduled, " + std::to_string(summary.in_flight) +
                             " in flight returned) from a snapshot of " + std::to_string(summary.snapshot_rows) +
                             " rows at LSN " + std::to_string(summary.snapshot_lsn) + " and " +
                             std::to_string(summary.records) + " journal records after it in " +
                             std::to_string(summary.took.count()) + " ms");
  }
  auto expected = run_state::created;
  if (!state_.compare_exchange_strong(expected, run_state::running)) {
    return make_error_code(expected == run_state::running ? errc::already_exists : errc::shutting_down);
  }
  for (auto& q : queues_) q->start();
  return {};
}

void engine_core::restore(journal::recovered_state& state) {
  std::size_t orphans = 0;
  // A recovered message with a dedup key holds its key again (pending: replaceable until taken).
  auto keyed = [](queue_runtime& q, std::unique_ptr<message> m) {
    if (!m->dedup_key.empty()) q.dedup().restore(*m);
    return m;
  };
  auto place = [&](journal::durable_message& d) -> queue_runtime* {
    queue_runtime* q = find_queue(d.queue);
    const auto handler = q ? q->find_handler(d.m->type) : std::nullopt;
    if (!handler) {
      ++orphans;  // its queue or handler is not registered any more: it stays in the journal
      return nullptr;
    }
    d.m->queue_index = q->index();
    d.m->handler_index = *handler;
    return q;
  };
  const sys_time now = clock_.now();
  // In-flight messages first: they were taken before anything still ready, so they lead their
  // ordering keys again.
  for (auto& d : state.in_flight) {
    auto* q = place(d);
    if (!q) continue;
    auto m = std::move(d.m);
    const auto& options = q->handler_at(m->handler_index).options;
    if (m->spent_attempts() > options.max_retries) {  // a poison message that took the process down
      settlement_.dead_letter_now(*q, std::move(m), dead_letter_reason::retries_exhausted,
                                  failure{"sluice::process_crash", "the process stopped during every attempt"});
    } else {
      q->publish_forced(keyed(*q, std::move(m)));
    }
  }
  // Then messages that were waiting for a retry with an ordering key: they were their key's
  // active message, so they lead it again.
  std::vector<journal::durable_message*> later;
  for (auto& d : state.scheduled) {
    if (d.m->ordering_key.empty() || d.m->attempt == 0) {
      later.push_back(&d);
      continue;
    }
    if (auto* q = place(d)) q->restore_keyed_retry(keyed(*q, std::move(d.m)), d.due);
  }
  for (auto& d : state.ready) {
    if (auto* q = place(d)) q->publish_forced(keyed(*q, std::move(d.m)));
  }
  for (auto* dp : later) {
    auto& d = *dp;
    auto* q = place(d);
    if (!q) continue;
    const auto why = d.m->not_before == d.due ? timekeeper::origin::delayed_enqueue : timekeeper::origin::reschedule;
    auto m = keyed(*q, std::move(d.m));
    if (d.due <= now) {
      q->publish_forced(std::move(m));
    } else {
      q->timers().schedule(std::move(m), d.due, why);
    }
  }
  for (auto& d : state.dead) {
    auto* q = place(d);
    if (!q) continue;
    if (auto evicted = q->dead_letters().add(std::move(*d.letter))) {
      settlement_.record_event(journal::purge_event{*evicted});  // over capacity now: evicted for good
    }
  }
  if (orphans > 0) {
    log(log_level::warn, std::to_string(orphans) +
                             " recovered messages name a queue or message type with no handler now; they stay in "
                             "the journal until a handler for them is registered");
  }
}

error_code engine_core::scale(std::string_view queue, std::size_t workers) {
  queue_runtime* q = find_queue(queue);
  if (!q) return make_error_code(errc::unknown_queue);
  if (state_.load() != run_state::running) return make_error_code(errc::not_running);
  return q->workers().scale(workers);
}

bool engine_core::refuses(bool has_parent) const noexcept {
  const auto s = state_.load(std::memory_order_acquire);
  if (s == run_state::stopped || s == run_state::finishing) return true;
  return s == run_state::stopping && !has_parent;
}

boost::system::result<std::unique_ptr<message>> engine_core::make_message(
    std::string_view queue_name, std::string_view type, std::string_view payload, enqueue_options& options,
    const parent_info* parent, queue_runtime*& queue) {
  if (refuses(parent != nullptr)) return make_error_code(errc::shutting_down);
  // A persistent engine journals from start(): before it, an enqueue could not be made durable.
  if (options_.persistence.enabled() && state_.load(std::memory_order_acquire) == run_state::created) {
    return make_error_code(errc::not_running);
  }
  queue = find_queue(queue_name);
  if (!queue) return make_error_code(errc::unknown_queue);
  const auto handler = queue->find_handler(type);
  if (!handler) return make_error_code(errc::unknown_message_type);
  if (payload.size() > options_.max_payload_bytes) return make_error_code(errc::payload_too_large);

  std::unique_ptr<message> m = queue->new_message();
  const sys_time now = clock_.now();
  m->id = ids_.next(std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()));
  m->type.assign(type);
  m->payload.assign(payload);
  m->headers = std::move(options.headers);
  m->dedup_key = std::move(options.dedup_key);
  m->ordering_key = std::move(options.ordering_key);
  m->enqueued_at = now;
  if (options.not_before && *options.not_before > now) m->not_before = *options.not_before;
  if (options.delay.count() > 0 && now + options.delay > m->not_before) m->not_before = now + options.delay;
  if (!options.correlation_id.empty()) {
    m->correlation_id = std::move(options.correlation_id);
  } else if (parent) {
    m->correlation_id = parent->correlation_id;
  }
  if (parent) m->causation_id = parent->id;
  m->queue_index = queue->index();
  m->handler_index = *handler;
  if (tracer_.enabled()) tracer_.stamp(*m, parent ? std::string_view(parent->traceparent) : std::string_view());
  return m;
}

void engine_core::stop(std::chrono::nanoseconds grace, stop_handler handler) {
  {
    std::lock_guard lock(stop_mutex_);
    const auto s = state_.load();
    if (s == run_state::stopped) {
      post_result(executor_, std::move(handler), {});
      return;
    }
    stop_waiters_.push_back(std::move(handler));
    if (s == run_state::stopping || s == run_state::finishing) return;  // completed with the first
    state_.store(run_state::stopping, std::memory_order_release);
  }
  for (auto& q : queues_) q->stop();
  {
    std::lock_guard lock(stop_mutex_);  // batched replays pausing between batches finish now
    for (const auto& [a, strand] : replay_alarms_) asio::post(strand, [a = a] { a->cancel(); });
  }
  const sys_time deadline = clock_.now() + std::chrono::duration_cast<sys_time::duration>(grace);
  asio::dispatch(control_, [this, deadline] {
    stop_alarm_.async_wait_until(deadline, asio::bind_executor(control_, [this](error_code ec) {
                                   if (ec) return;  // drained before the deadline
                                   log(log_level::warn, "stop deadline reached: cancelling in-flight handlers");
                                   for (auto& q : queues_) q->workers().cancel_in_flight();
                                 }));
  });
  maybe_finish_stop();
}

void engine_core::worker_exited() noexcept {
  if (live_workers_.fetch_sub(1, std::memory_order_acq_rel) == 1) maybe_finish_stop();
}

void engine_core::maybe_finish_stop() {
  std::lock_guard lock(stop_mutex_);
  if (state_.load() != run_state::stopping || live_workers_.load(std::memory_order_acquire) != 0) return;
  state_.store(run_state::finishing, std::memory_order_release);
  if (!store_) {
    complete_stop();
    return;
  }
  // Everything recorded is written (and the final snapshot taken) before stop completes, on a
  // thread of the engine's: never a blocking disk wait on the application's event loop. The work
  // guard keeps the application's run() going until the completion is posted.
  stopper_ = std::thread([this, work = asio::prefer(executor_, asio::execution::outstanding_work.tracked)] {
    store_->stop();
    complete_stop();
  });
}

// On the control strand (posted: the caller may hold stop_mutex_): the stop alarm is cancelled
// before any stop handler runs (a handler may destroy the engine), then every waiter, late ones
// included, completes.
void engine_core::complete_stop() {
  asio::post(control_, [this] {
    stop_alarm_.cancel();
    std::vector<stop_handler> waiters;
    {
      std::lock_guard lock(stop_mutex_);  // also: stopper_ has been assigned
      state_.store(run_state::stopped, std::memory_order_release);
      waiters.swap(stop_waiters_);
    }
    for (auto& h : waiters) post_result(executor_, std::move(h), {});
  });
}

void engine_core::reset_metrics() {
  for (const auto& q : queues_) q->reset_metrics();
  auto copy = std::make_unique<latency_histogram>();
  copy->add(durable_latency_);
  std::lock_guard lock(metrics_mutex_);
  durable_baseline_ = std::move(copy);
}

engine_stats engine_core::stats() const {
  engine_stats s;
  s.queues.reserve(queues_.size());
  for (const auto& q : queues_) s.queues.push_back(q->stats());
  s.timer_expiries = stop_alarm_.expiries();
  for (const auto& q : queues_) s.timer_expiries += q->timers().expiries() + q->monitor().expiries();
  if (store_) {
    const auto g = store_->stats();
    s.journal.enabled = true;
    s.journal.batches = g.batches;
    s.journal.records = g.records;
    s.journal.failed_batches = g.failed_batches;
    s.journal.largest_batch = g.largest_batch;
    s.journal.pending = store_->pending();
    s.journal.failures = store_->failures();
    s.snapshot = store_->snapshot_stats();
    auto since = std::make_unique<latency_histogram>();  // too big for the stack
    since->add(durable_latency_);
    {
      std::lock_guard lock(metrics_mutex_);
      if (durable_baseline_) since->subtract(*durable_baseline_);
    }
    s.journal.enqueue_to_durable = since->summarize();
  }
  return s;
}

template <class F>
void engine_core::for_each_queue(const dead_letter_filter& filter, F&& f) const {
  for (const auto& q : queues_) {
    if (filter.queue.empty() || filter.queue == q->name()) f(*q);
  }
}

std::vector<dead_letter> engine_core::dead_letters(const dead_letter_filter& filter, std::size_t limit,
                                                   std::size_t offset) const {
  std::vector<dead_letter> out;
  for_each_queue(filter, [&](queue_runtime& q) {
    if (out.size() >= limit) return;
    auto page = q.dead_letters().list(filter, limit - out.size() + offset, 0);
    for (auto& d : page) {
      if (offset > 0) {
        --offset;
      } else if (out.size() < limit) {
        out.push_back(std::move(d));
      }
    }
  });
  return out;
}

std::optional<dead_letter> engine_core::find_dead_letter(const message_id& id) const {
  std::optional<dead_letter> found;
  for_each_queue({}, [&](queue_runtime& q) {
    if (!found) found = q.dead_letters().get(id);
  });
  return found;
}

void engine_core::requeue(queue_runtime& q, dead_letter letter, const replay_options& options) {
  if (store_) store_->record(journal::replay_event{letter.envelope.id, options.attempts == replay_attempts::reset});
  auto m = std::make_unique<message>(std::move(letter.envelope));
  ++m->replays;
  if (options.attempts == replay_attempts::reset) {
    m->attempt = 0;
    m->snoozes = 0;
    m->first_failure_at = {};
  }
  q.publish_forced(std::move(m));
}

error_code engine_core::replay_dead_letter(const message_id& id, const replay_options& options) {
  if (refuses(/*has_parent=*/false)) return make_error_code(errc::shutting_down);
  for (auto& q : queues_) {
    const auto found = q->dead_letters().get(id);
    if (!found) continue;
    if (found->envelope.replays >= options_.max_replays && options.quarantined == replay_quarantined::skip) {
      return make_error_code(errc::quarantined);
    }
    if (options.dry_run) return {};
    auto letter = q->dead_letters().take(id);
    if (!letter) return make_error_code(errc::not_found);  // replayed or purged meanwhile
    requeue(*q, std::move(*letter), options);
    return {};
  }
  return make_error_code(errc::not_found);
}

replay_scope engine_core::scope_of(const queue_runtime& q, const replay_options& options,
                                   const std::vector<std::uint64_t>* marks) const {
  replay_scope scope;
  if (options.quarantined == replay_quarantined::skip) scope.quarantine_at = options_.max_replays;
  if (marks) scope.before = (*marks)[q.index()];
  return scope;
}

std::vector<std::uint64_t> engine_core::dead_letter_marks() const {
  std::vector<std::uint64_t> marks;
  marks.reserve(queues_.size());
  for (const auto& q : queues_) marks.push_back(q->dead_letters().next_sequence());
  return marks;
}

replay_report engine_core::count_replay(const dead_letter_filter& filter, const replay_options& options,
                                        const std::vector<std::uint64_t>& marks) const {
  replay_report report;
  report.dry_run = options.dry_run;
  for_each_queue(filter, [&](queue_runtime& q) {
    const auto c = q.dead_letters().count(filter, scope_of(q, options, &marks));
    report.replayed += c.replayable;
    report.quarantined += c.quarantined;
  });
  return report;
}

std::size_t engine_core::replay_some(const dead_letter_filter& filter, const replay_options& options,
                                     const std::vector<std::uint64_t>& marks, std::size_t limit) {
  std::size_t replayed = 0;
  for_each_queue(filter, [&](queue_runtime& q) {
    if (replayed >= limit) return;
    for (auto& letter : q.dead_letters().take(filter, scope_of(q, options, &marks), limit - replayed)) {
      requeue(q, std::move(letter), options);
      ++replayed;
    }
  });
  return replayed;
}

replay_report engine_core::replay_dead_letters(const dead_letter_filter& filter, const replay_options& options,
                                               std::size_t limit) {
  if (refuses(/*has_parent=*/false)) return replay_report{};
  const auto marks = dead_letter_marks();
  replay_report report = count_replay(filter, options, marks);
  report.replayed = std::min(report.replayed, limit);
  if (options.dry_run) return report;
  report.replayed = replay_some(filter, options, marks, limit);
  report.batches = 1;
  return report;
}

void engine_core::add_replay_alarm(const std::shared_ptr<alarm>& a, const asio::any_io_executor& strand) {
  std::lock_guard lock(stop_mutex_);
  replay_alarms_.emplace_back(a, strand);
}

void engine_core::remove_replay_alarm(const std::shared_ptr<alarm>& a) {
  std::lock_guard lock(stop_mutex_);
  std::erase_if(replay_alarms_, [a](const auto& entry) { return entry.first == a; });
}

std::size_t engine_core::purge_dead_letters(const dead_letter_filter& filter) {
  std::size_t purged = 0;
  std::vector<message_id> ids;
  for_each_queue(filter, [&](queue_runtime& q) { purged += q.dead_letters().purge(filter, store_ ? &ids : nullptr); });
  for (const auto& id : ids) store_->record(journal::purge_event{id});
  return purged;
}

std::map<std::string, std::uint64_t> engine_core::dead_letter_error_types(const dead_letter_filter& filter) const {
  std::map<std::string, std::uint64_t> out;
  for_each_queue(filter, [&](queue_runtime& q) { q.dead_letters().count_error_types(filter, out); });
  return out;
}

}  // namespace sluice::detail
