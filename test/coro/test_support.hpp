// Shared fixtures for the engine tests: a typed test message, and helpers that drive a
// single-threaded io_context deterministically (no sleeps: progress is polled, time is manual).
#pragma once

#include "print.hpp"

#include <sluice/sluice.hpp>
#include <sluice/time/manual_clock.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <functional>
#include <string>

namespace sluice_test {

struct order {
  static constexpr std::string_view message_type = "test.order";
  int id = 0;
  std::string item;
};

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const order& o) {
  v = {{"id", o.id}, {"item", o.item}};
}
inline order tag_invoke(boost::json::value_to_tag<order>, const boost::json::value& v) {
  return {boost::json::value_to<int>(v.at("id")), boost::json::value_to<std::string>(v.at("item"))};
}

struct payment {
  static constexpr std::string_view message_type = "test.payment";
  int order_id = 0;
};
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const payment& p) {
  v = {{"order_id", p.order_id}};
}
inline payment tag_invoke(boost::json::value_to_tag<payment>, const boost::json::value& v) {
  return {boost::json::value_to<int>(v.at("order_id"))};
}

// Runs ready handlers until pred() holds or nothing is left to run; returns pred().
inline bool run_until(boost::asio::io_context& ioc, const std::function<bool()>& pred, int max_rounds = 100'000) {
  for (int i = 0; i < max_rounds; ++i) {
    if (pred()) return true;
    ioc.restart();
    if (ioc.poll() == 0 && !pred()) return false;
  }
  return pred();
}

// Runs every ready handler until the context is quiescent (parked waits may remain).
inline std::size_t drain(boost::asio::io_context& ioc) {
  std::size_t total = 0;
  for (;;) {
    ioc.restart();
    const auto n = ioc.poll();
    if (n == 0) return total;
    total += n;
  }
}

// Stops the engine and runs the context until the stop has completed (fixture teardown).
inline bool stop_engine(sluice::engine& eng, boost::asio::io_context& ioc) {
  bool stopped = false;
  eng.async_stop(std::chrono::seconds(1), [&](boost::system::error_code) { stopped = true; });
  return run_until(ioc, [&] { return stopped; });
}

// Moves the manual clock and runs whatever became due.
inline void advance(sluice::manual_clock& clock, boost::asio::io_context& ioc, std::chrono::milliseconds d) {
  clock.advance(d);
  drain(ioc);
}

// Retries after exactly `d`: no jitter, so tests can step the clock to the moment.
inline sluice::handler_options fixed_backoff(std::uint32_t max_retries, std::chrono::milliseconds d) {
  sluice::handler_options h;
  h.max_retries = max_retries;
  h.backoff.strategy = sluice::backoff_strategy::fixed;
  h.backoff.initial = d;
  h.backoff.max = d;
  h.backoff.jitter = sluice::jitter_mode::none;
  return h;
}

// Something a handler awaits until the test opens it: a stand-in for a socket read or an RPC.
// wait() honours the handler's cancellation (a timeout makes it throw operation_aborted);
// wait_ignoring_cancellation() is a hung handler that only returns when opened.
class gate {
 public:
  explicit gate(boost::asio::io_context& ioc) : timer_(ioc, boost::asio::steady_timer::time_point::max()) {}
  boost::asio::awaitable<void> wait() {
    auto [ec] = co_await timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (!opened_) throw boost::system::system_error(ec);
  }
  boost::asio::awaitable<void> wait_ignoring_cancellation() {
    co_await boost::asio::this_coro::throw_if_cancelled(false);
    while (!opened_) {
      auto [ec] = co_await timer_.async_wait(boost::asio::bind_cancellation_slot(
          boost::asio::cancellation_slot(), boost::asio::as_tuple(boost::asio::use_awaitable)));
      (void)ec;
    }
  }
  void open() {
    opened_ = true;
    timer_.cancel();
  }

 private:
  boost::asio::steady_timer timer_;
  bool opened_ = false;
};

inline sluice::engine_options manual_options(sluice::manual_clock& clock) {
  sluice::engine_options o;
  o.clock = &clock;
  o.log = [](sluice::log_level, std::string_view) {};
  return o;
}

inline const sluice::queue_stats& queue(const sluice::engine_stats& s, std::string_view name) {
  for (const auto& q : s.queues) {
    if (q.name == name) return q;
  }
  throw std::runtime_error("no queue " + std::string(name));
}

}  // namespace sluice_test
