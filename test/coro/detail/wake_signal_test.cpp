// wake_signal: the eventcount protocol loses no wake-up, keeps tokens for waiters that have
// announced but not parked, honours cancellation, and close() releases everyone.
#include "sluice/detail/wake_signal.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>

namespace asio = boost::asio;
using boost::system::error_code;
using sluice::detail::wake_signal;

BOOST_AUTO_TEST_SUITE(wake_signal_suite)

BOOST_AUTO_TEST_CASE(notify_without_waiters_is_a_no_op) {
  asio::io_context ioc;
  wake_signal s(ioc.get_executor());
  BOOST_TEST(!s.notify_one());
  s.prepare();
  bool woke = false;
  s.async_wait([&](error_code ec) { woke = !ec; });
  ioc.poll();
  BOOST_TEST(!woke);  // the earlier notify was not stored
  BOOST_TEST(s.notify_one());
  ioc.restart();
  ioc.poll();
  BOOST_TEST(woke);
  BOOST_TEST(s.wakeups() == 1U);
}

BOOST_AUTO_TEST_CASE(a_notify_between_prepare_and_wait_is_kept_as_a_token) {
  asio::io_context ioc;
  wake_signal s(ioc.get_executor());
  s.prepare();
  BOOST_TEST(s.notify_one());
  bool woke = false;
  s.async_wait([&](error_code ec) { woke = !ec; });
  ioc.poll();
  BOOST_TEST(woke);
  BOOST_TEST(s.parked() == 0);
}

BOOST_AUTO_TEST_CASE(cancel_prepare_discards_the_token_meant_for_it) {
  asio::io_context ioc;
  wake_signal s(ioc.get_executor());
  s.prepare();
  BOOST_TEST(s.notify_one());
  s.cancel_prepare();
  s.prepare();  // a fresh wait must not be woken by the stale token
  bool woke = false;
  s.async_wait([&](error_code) { woke = true; });
  ioc.poll();
  BOOST_TEST(!woke);
  s.close();
  ioc.restart();
  ioc.poll();
  BOOST_TEST(woke);
}

BOOST_AUTO_TEST_CASE(a_parked_wait_honours_its_cancellation_slot) {
  asio::io_context ioc;
  wake_signal s(ioc.get_executor());
  asio::cancellation_signal cancel;
  error_code result;
  s.prepare();
  s.async_wait(asio::bind_cancellation_slot(cancel.slot(), [&](error_code ec) { result = ec; }));
  ioc.poll();
  cancel.emit(asio::cancellation_type::terminal);
  ioc.restart();
  ioc.poll();
  BOOST_TEST(result == asio::error::operation_aborted);
  BOOST_TEST(!s.notify_one());  // nobody is waiting any more
}

BOOST_AUTO_TEST_CASE(close_releases_parked_and_future_waits) {
  asio::io_context ioc;
  wake_signal s(ioc.get_executor());
  int aborted = 0;
  for (int i = 0; i < 3; ++i) {
    s.prepare();
    s.async_wait([&](error_code ec) { aborted += ec == asio::error::operation_aborted; });
  }
  s.close();
  s.prepare();
  s.async_wait([&](error_code ec) { aborted += ec == asio::error::operation_aborted; });
  ioc.poll();
  BOOST_TEST(aborted == 4);
}

// A consumer coroutine on one thread, a producer on another: every produced item is consumed
// and the consumer never stays parked while items are available.
BOOST_AUTO_TEST_CASE(no_wakeup_is_lost_between_threads) {
  constexpr int items = 200'000;
  asio::io_context ioc(1);
  wake_signal s(ioc.get_executor());
  std::atomic<int> produced{0};
  int consumed = 0;
  asio::co_spawn(
      ioc,
      [](wake_signal& sig, std::atomic<int>& avail, int& taken) -> asio::awaitable<void> {
        while (taken < items) {
          if (taken < avail.load(std::memory_order_acquire)) {
            ++taken;
            continue;
          }
          sig.prepare();
          if (taken < avail.load(std::memory_order_acquire)) {
            sig.cancel_prepare();
            continue;
          }
          co_await sig.async_wait(asio::as_tuple(asio::use_awaitable));
        }
      }(s, produced, consumed),
      asio::detached);
  std::thread producer([&] {
    for (int i = 0; i < items; ++i) {
      produced.fetch_add(1, std::memory_order_release);
      s.notify_one();
    }
  });
  ioc.run_for(std::chrono::seconds(60));  // returns as soon as the consumer is done; bound is a hang guard
  producer.join();
  BOOST_TEST(consumed == items);
}

BOOST_AUTO_TEST_SUITE_END()
