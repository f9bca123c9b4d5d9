// The engine's state behind the public facade: options, clock, id generator, the queue registry,
// the run state (created -> running -> stopping -> stopped) and the stop deadline.
// Thread-safety: queue/handler registration must precede start() and is not thread-safe;
// everything else is safe from any thread.
#pragma once

#include "sluice/dead_letters.hpp"
#include "sluice/detail/dead_letter_store.hpp"
#include "sluice/detail/enqueue_request.hpp"
#include "sluice/detail/settlement.hpp"
#include "sluice/detail/tracer.hpp"
#include "sluice/handler.hpp"
#include "sluice/message/message_id.hpp"
#include "sluice/options.hpp"
#include "sluice/stats.hpp"
#include "sluice/time/alarm.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/strand.hpp>
#include <boost/system/result.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace sluice::persist {
class durable_store;
}

namespace sluice::journal {
struct recovered_state;
}

namespace sluice::detail {

class queue_runtime;

using stop_handler = boost::asio::any_completion_handler<void(boost::system::error_code)>;

class engine_core {
 public:
  engine_core(boost::asio::any_io_executor ex, engine_options options);
  ~engine_core();
  engine_core(const engine_core&) = delete;
  engine_core& operator=(const engine_core&) = delete;

  [[nodiscard]] const boost::asio::any_io_executor& executor() const noexcept { return executor_; }
  [[nodiscard]] const engine_options& options() const noexcept { return options_; }
  [[nodiscard]] sluice::clock& clock() const noexcept { return clock_; }
  void log(log_level level, std::string_view line) const;
  [[nodiscard]] settlement& settle() noexcept { return settlement_; }
  [[nodiscard]] const tracer& tracing() const noexcept { return tracer_; }
  // The journal, when persistence is on (null in memory); set by start(), stopped by stop().
  [[nodiscard]] persist::durable_store* store() const noexcept { return store_.get(); }
  // Tells engine_options::observer, if any, how a delivery ended.
  void observe(std::string_view queue, const message& m, settle_outcome outcome) const noexcept {
    if (options_.observer) notify_observer(queue, m, outcome);
  }

  [[nodiscard]] boost::system::error_code declare_queue(std::string_view name, queue_options options);
  [[nodiscard]] boost::system::error_code add_handler(std::string_view queue, std::string_view type, handler_fn fn,
                                                      std::optional<handler_options> options = std::nullopt);
  [[nodiscard]] queue_runtime* find_queue(std::string_view name) const noexcept;

  [[nodiscard]] boost::system::error_code start();
  void stop(std::chrono::nanoseconds grace, stop_handler handler);
  [[nodiscard]] boost::system::error_code scale(std::string_view queue, std::size_t workers);

  // Validates an enqueue and builds its message (a recycled envelope when one is spare);
  // reports the queue it is bound for. Moves what it keeps out of `options`.
  [[nodiscard]] boost::system::result<std::unique_ptr<message>> make_message(
      std::string_view queue_name, std::string_view type, std::string_view payload, enqueue_options& options,
      const parent_info* parent, queue_runtime*& queue);
  [[nodiscard]] bool running() const noexcept { return state_.load(std::memory_order_acquire) == run_state::running; }
  // New work is refused once stopping; children of in-flight deliveries until stopped.
  [[nodiscard]] bool refuses(bool has_parent) const noexcept;

  // Worker and timekeeper coroutines not yet finished (stop completes when this reaches 0).
  [[nodiscard]] std::size_t live_coroutines() const noexcept { return live_workers_.load(std::memory_order_acquire); }
  void worker_started() noexcept { live_workers_.fetch_add(1, std::memory_order_relaxed); }
  void worker_exited() noexcept;

  [[nodiscard]] engine_stats stats() const;
  void reset_metrics();
  // An enqueue became durable `d` after it was submitted to the journal.
  void record_durable(std::chrono::nanoseconds d) noexcept { durable_latency_.record(d); }
  [[nodiscard]] std::uint64_t random_seed() const noexcept { return random_seed_; }

  // Dead letters across queues (filter.queue selects one).
  [[nodiscard]] std::vector<dead_letter> dead_letters(const dead_letter_filter& filter, std::size_t limit,
                                                      std::size_t offset) const;
  [[nodiscard]] std::optional<dead_letter> find_dead_letter(const message_id& id) const;
  [[nodiscard]] boost::system::error_code replay_dead_letter(const message_id& id, const replay_options& options);
  [[nodiscard]] replay_report replay_dead_letters(const dead_letter_filter& filter, const replay_options& options,
                                                  std::size_t limit);
  // Batched replay steps (detail/batched_replay.cpp). marks: per queue, the dead-letter sequence
  // where the replay started; letters arriving later are out of its scope.
  [[nodiscard]] std::vector<std::uint64_t> dead_letter_marks() const;
  [[nodiscard]] replay_report count_replay(const dead_letter_filter& filter, const replay_options& options,
                                           const std::vector<std::uint64_t>& marks) const;
  // Replays up to `limit` letters in scope; returns how many.
  std::size_t replay_some(const dead_letter_filter& filter, const replay_options& options,
                          const std::vector<std::uint64_t>& marks, std::size_t limit);
  // A batched replay waiting between batches: stop() cancels its alarm (on its strand).
  void add_replay_alarm(const std::shared_ptr<alarm>& a, const boost::asio::any_io_executor& strand);
  void remove_replay_alarm(const std::shared_ptr<alarm>& a);
  std::size_t purge_dead_letters(const dead_letter_filter& filter);
  [[nodiscard]] std::map<std::string, std::uint64_t> dead_letter_error_types(const dead_letter_filter& filter) const;
  // Every queue, in declaration order (fixed once the engine starts).
  [[nodiscard]] const std::vector<std::unique_ptr<queue_runtime>>& queues() const noexcept { return queues_; }

 private:
  // finishing: every worker is gone; the journal is flushed and the final snapshot taken (on
  // stopper_) before the stop completes.
  enum class run_state : std::uint8_t { created, running, stopping, finishing, stopped };

  void maybe_finish_stop();
  void complete_stop();
  // Puts recovered messages back: queues, timekeepers, dead-letter stores; in-flight messages
  // with spent attempts are dead-lettered.
  void restore(journal::recovered_state& state);
  void notify_observer(std::string_view queue, const message& m, settle_outcome outcome) const noexcept;
  template <class F>
  void for_each_queue(const dead_letter_filter& filter, F&& f) const;
  void requeue(queue_runtime& q, dead_letter letter, const replay_options& options);
  [[nodiscard]] replay_scope scope_of(const queue_runtime& q, const replay_options& options,
                                      const std::vector<std::uint64_t>* marks) const;

  boost::asio::any_io_executor executor_;
  engine_options options_;
  sluice::clock& clock_;
  id_generator ids_;
  std::uint64_t random_seed_;
  settlement settlement_;
  tracer tracer_;
  std::vector<std::unique_ptr<queue_runtime>> queues_;
  struct name_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, queue_runtime*, name_hash, std::equal_to<>> queues_by_name_;

  std::atomic<run_state> state_{run_state::created};
  std::atomic<std::size_t> live_workers_{0};
  std::mutex stop_mutex_;
  std::vector<stop_handler> stop_waiters_;
  std::vector<std::pair<std::shared_ptr<alarm>, boost::asio::any_io_executor>>
      replay_alarms_;  // guarded by stop_mutex_
  std::unique_ptr<persist::durable_store> store_;
  latency_histogram durable_latency_;                          // enqueue submitted -> durable
  mutable std::mutex metrics_mutex_;                           // guards durable_baseline_
  std::unique_ptr<latency_histogram> durable_baseline_;        // at the last reset_metrics()
  boost::asio::strand<boost::asio::any_io_executor> control_;  // owns the stop alarm
  alarm stop_alarm_;
  // Finishes a stop with persistence: writes what was recorded and takes the final snapshot off
  // the application's threads, then completes the stop. Assigned under stop_mutex_ (which its
  // completion takes too), joined by the destructor.
  std::thread stopper_;
};

}  // namespace sluice::detail
