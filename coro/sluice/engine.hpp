// sluice::engine: the embeddable message queue engine, running on the application's executor.
//
//   sluice::engine eng(ioc.get_executor());
//   eng.handle<order>("orders", handle_order);         // asio::awaitable<void>(order, sluice::context&)
//   eng.start();
//   const order o{...};                                // a local: see detail/coawait_temporaries.hpp
//   co_await eng.async_enqueue("orders", o, asio::use_awaitable);
//   co_await eng.async_stop(std::chrono::seconds(5), asio::use_awaitable);
//
// Every async_* member is an Asio asynchronous operation: pass any completion token
// (use_awaitable, deferred, use_future, a callback). Failures arrive as error_codes of the sluice
// category (sluice/error.hpp); setup calls return them directly.
// Threads: the engine starts none. Its workers run on strands of the executor it was given (an
// io_context may run on several threads). try_enqueue serves threads outside Asio.
// Lifetime: stop the engine (async_stop, and let it complete) before destroying it.
#pragma once

#include "sluice/codec.hpp"
#include "sluice/context.hpp"
#include "sluice/dead_letters.hpp"
#include "sluice/dedup_key_state.hpp"
#include "sluice/detail/batched_replay.hpp"
#include "sluice/detail/enqueue_api.hpp"
#include "sluice/detail/enqueue_request.hpp"
#include "sluice/detail/flush_request.hpp"
#include "sluice/detail/snapshot_request.hpp"
#include "sluice/error.hpp"
#include "sluice/handler.hpp"
#include "sluice/message_info.hpp"
#include "sluice/options.hpp"
#include "sluice/permanent_error.hpp"
#include "sluice/stats.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

namespace detail {
class engine_core;
void start_stop(engine_core& core, std::chrono::nanoseconds grace,
                boost::asio::any_completion_handler<void(boost::system::error_code)> handler);
}  // namespace detail

class engine : public detail::enqueue_api<engine> {
 public:
  using executor_type = boost::asio::any_io_executor;

  explicit engine(executor_type ex, engine_options options = {});
  ~engine();
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  // --- setup: before start(), from one thread -------------------------------------------------
  [[nodiscard]] boost::system::error_code declare_queue(std::string_view name, queue_options options);

  // Registers fn for messages of type T on `queue` (declared with default options if new).
  // Without options the handler retries per engine_options::default_handler.
  template <typed_message T, class F>
  requires message_handler<F, T>
  [[nodiscard]] boost::system::error_code handle(std::string_view queue, F fn,
                                                 std::optional<handler_options> options = std::nullopt) {
    const std::string_view type = message_traits<T>::type_name();
    handler_fn erased = detail::make_typed_handler<T>(std::move(fn));
    return add_handler(queue, type, std::move(erased), std::move(options));
  }

  // Registers fn for raw payloads of message type `type` on `queue`.
  template <class F>
  requires raw_message_handler<F>
  [[nodiscard]] boost::system::error_code handle_raw(std::string_view queue, std::string_view type, F fn,
                                                     std::optional<handler_options> options = std::nullopt) {
    handler_fn erased = detail::make_raw_handler(std::move(fn));
    return add_handler(queue, type, std::move(erased), std::move(options));
  }

  // Starts the workers (min_workers per queue). Messages enqueued before start wait for it.
  [[nodiscard]] boost::system::error_code start();

  // --- producing: thread-safe ------------------------------------------------------------------
  // Completion signature: void(error_code, message_id). Completes once the message is admitted
  // (and, with persistence, durable); on a full queue it waits or fails per options.on_full.
  // The message, options and payload are copied before the call returns (any token, deferred
  // too). With g++ 12 they must not be temporaries: sluice/detail/coawait_temporaries.hpp.
  // async_enqueue(queue, value[, options], token) and async_enqueue_raw(queue, type, payload,
  // options, token) are inherited from detail/enqueue_api.hpp.

  // Never waits: a full queue is errc::queue_full whatever options.on_full says.
  template <typed_message T>
  [[nodiscard]] boost::system::result<message_id> try_enqueue(std::string_view queue, const T& value,
                                                              enqueue_options options = {}) {
    const std::string payload = encode(value);
    const std::string_view type = message_traits<T>::type_name();
    return try_enqueue_raw(queue, type, payload, std::move(options));
  }
  [[nodiscard]] boost::system::result<message_id> try_enqueue_raw(std::string_view queue, std::string_view type,
                                                                  std::string_view payload,
                                                                  enqueue_options options = {});

  // --- operating: thread-safe ------------------------------------------------------------------
  // Sets the queue's worker count within [min_workers, max_workers]. Workers told to retire
  // finish their current message first.
  [[nodiscard]] boost::system::error_code scale(std::string_view queue, std::size_t workers);

  // Refuses new enqueues (errc::shutting_down), lets in-flight handlers finish, cancels them
  // through their cancellation slot once `grace` has passed, and completes when every worker has
  // exited. Messages still waiting in queues stay there (with persistence, for the next start).
  // Completion signature: void(error_code).
  template <class Token>
  auto async_stop(std::chrono::nanoseconds grace, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
        [](auto handler, detail::engine_core* core, std::chrono::nanoseconds g) {
          detail::start_stop(*core, g,
                             boost::asio::any_completion_handler<void(boost::system::error_code)>(std::move(handler)));
        },
        token, core_.get(), grace);
  }

  // Completes once everything the engine recorded before the call is durable: enqueues, and also
  // the acknowledgements, retries, dead-letterings, replays and purges that are journaled without
  // waiting (docs/api.md, "Persistence"). fdatasync'ed in fsync mode, written in buffered mode; at
  // once in memory. Completion signature void(error_code): io_error / disk_full when the journal
  // could not write, shutting_down once stopped.
  template <class Token>
  auto async_flush(Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
        [](auto handler, detail::engine_core* core) {
          detail::start_flush(*core, detail::flush_handler(std::move(handler)));
        },
        token, core_.get());
  }

  [[nodiscard]] engine_stats stats() const;
  // The operators' weekly "metrics --reset": per-queue counters, latency histograms and recent
  // failures count from now on; gauges (depths, workers) and the journal and snapshot figures are
  // unaffected. To Prometheus a reset looks like a restart of the counters (rate() copes).
  void reset_metrics();

  // Takes a snapshot now (docs/design.md, "Snapshots"): the older of the two snapshot databases
  // catches up with the journal, and segments both cover are deleted. Completion signature
  // void(error_code, snapshot_report): errc::not_running unless started, errc::invalid_argument
  // without persistence or with snapshots off, disk_full / io_error when SQLite could not commit
  // (the journal is kept and the schedule retries).
  template <class Token>
  auto async_snapshot(Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, snapshot_report)>(
        [](auto handler, detail::engine_core* core) {
          detail::start_snapshot(*core, detail::snapshot_handler(std::move(handler)));
        },
        token, core_.get());
  }

  // The state of a deduplication key of `queue`; nullopt when the key is free.
  [[nodiscard]] std::optional<sluice::dedup_key_state> inspect_dedup_key(std::string_view queue,
                                                                         const std::string& key) const;

  // --- inspecting messages: thread-safe (docs/api.md, "Inspecting messages") ---------------------
  // Messages the engine holds, oldest enqueue first: pending, scheduled, in flight and dead
  // letters, filtered by queue, state, type and correlation id. Summaries only, no payloads.
  // Cost grows with the number of messages held (an operator's tool, not a hot path).
  [[nodiscard]] std::vector<message_info> list_messages(const message_filter& filter = {}, std::size_t limit = 100,
                                                        std::size_t offset = 0) const;
  [[nodiscard]] std::optional<message_info> find_message(const message_id& id) const;

  // --- dead letters: thread-safe (docs/api.md, "Dead letters") -----------------------------------
  // Oldest first within a queue; filter.queue empty = every queue.
  [[nodiscard]] std::vector<dead_letter> dead_letters(const dead_letter_filter& filter = {}, std::size_t limit = 100,
                                                      std::size_t offset = 0) const;
  [[nodiscard]] std::optional<dead_letter> find_dead_letter(const message_id& id) const;
  // Moves the letter's message back into its queue. errc::not_found, errc::quarantined (replayed
  // max_replays times already; replay_quarantined::force overrides), errc::shutting_down.
  [[nodiscard]] boost::system::error_code replay_dead_letter(const message_id& id, replay_options options = {});
  // Replays every matching letter (at most `limit`), oldest first; options.dry_run only counts.
  replay_report replay_dead_letters(const dead_letter_filter& filter, replay_options options = {},
                                    std::size_t limit = SIZE_MAX);
  // The same in batches of options.batch_size, pausing options.delay_between_batches (engine
  // clock) between them and calling options.progress after each; letters dead-lettered after the
  // start are left alone. Completion signature void(error_code, replay_report): shutting_down
  // (with what was replayed) when the engine stops meanwhile.
  template <class Token>
  auto async_replay_dead_letters(dead_letter_filter filter, replay_batch_options options, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, replay_report)>(
        [](auto handler, detail::engine_core* core, dead_letter_filter f, replay_batch_options o) {
          detail::start_batched_replay(*core, std::move(f), std::move(o), detail::replay_handler(std::move(handler)));
        },
        token, core_.get(), std::move(filter), std::move(options));
  }
  std::size_t purge_dead_letters(const dead_letter_filter& filter = {});
  // Letters per failure type, e.g. {"std::runtime_error": 5, "sluice::decode_error": 2}.
  [[nodiscard]] std::map<std::string, std::uint64_t> dead_letter_error_types(
      const dead_letter_filter& filter = {}) const;
  [[nodiscard]] executor_type get_executor() const noexcept;

 private:
  friend class detail::enqueue_api<engine>;
  template <typed_message T, class Token>
  auto enqueue_typed(std::string_view queue, const T& value, enqueue_options options, Token&& token) {
    const std::string payload = encode(value);
    return detail::async_enqueue(
        *core_, detail::prepare_enqueue(*core_, queue, message_traits<T>::type_name(), payload, options),
        std::forward<Token>(token));
  }
  template <class Token>
  auto enqueue_raw(std::string_view queue, std::string_view type, std::string_view payload, enqueue_options options,
                   Token&& token) {
    return detail::async_enqueue(*core_, detail::prepare_enqueue(*core_, queue, type, payload, options),
                                 std::forward<Token>(token));
  }

  [[nodiscard]] boost::system::error_code add_handler(std::string_view queue, std::string_view type, handler_fn fn,
                                                      std::optional<handler_options> options);

  std::unique_ptr<detail::engine_core> core_;
};

}  // namespace sluice
