// One cancellable wait for a moment on a sluice::clock. With the real clock it arms an Asio
// steady_timer for the remaining duration (re-checking the clock when it fires, so a step of the
// wall clock only delays the check); with a manual clock it fires when the test advances time.
// Each engine-level timer structure (stop deadline, scheduled delivery, leases) owns one alarm:
// a million scheduled messages never mean a million Asio timers.
// Thread-safety: use one alarm from one strand. One wait may be pending at a time.
#pragma once

#include "sluice/time/clock.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/system/error_code.hpp>

#include <cstdint>
#include <memory>

namespace sluice {

class alarm {
 public:
  using wait_handler = boost::asio::any_completion_handler<void(boost::system::error_code)>;

  // The clock must outlive the alarm.
  alarm(boost::asio::any_io_executor ex, sluice::clock& clock);
  ~alarm();
  alarm(const alarm&) = delete;
  alarm& operator=(const alarm&) = delete;

  // Completes with success once clock.now() >= deadline, with operation_aborted on cancel()
  // or destruction. A new wait replaces (aborts) a pending one.
  template <class Token>
  auto async_wait_until(sys_time deadline, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
        [this, deadline](auto handler) { start(deadline, wait_handler(std::move(handler))); }, token);
  }

  void cancel() noexcept;

  // Waits that completed because their deadline passed.
  [[nodiscard]] std::uint64_t expiries() const noexcept;

 private:
  struct state;
  void start(sys_time deadline, wait_handler handler);
  std::shared_ptr<state> state_;  // shared with timer and clock callbacks that may outlive us
};

}  // namespace sluice
