// Clock-aware alarm (see alarm.hpp).
#include "sluice/time/alarm.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <optional>

namespace sluice {

namespace asio = boost::asio;

struct alarm::state : std::enable_shared_from_this<alarm::state> {
  state(asio::any_io_executor e, sluice::clock& c) : ex(std::move(e)), clock(c), timer(ex) {}

  asio::any_io_executor ex;
  sluice::clock& clock;
  asio::steady_timer timer;
  bool manual = false;
  int subscription = 0;
  std::optional<sys_time> deadline;
  std::atomic<bool> armed{false};  // read by clock callbacks on the advancing thread
  wait_handler handler;
  std::uint64_t generation = 0;
  std::atomic<std::uint64_t> expiries{0};

  void finish(boost::system::error_code ec) {
    deadline.reset();
    armed.store(false, std::memory_order_relaxed);
    if (!handler) return;
    if (!ec) expiries.fetch_add(1, std::memory_order_relaxed);
    asio::post(ex, asio::append(std::move(handler), ec));
  }

  void check() {
    if (deadline && clock.now() >= *deadline) finish({});
  }

  void arm_real() {
    const auto remaining = *deadline - clock.now();
    timer.expires_after(std::chrono::duration_cast<asio::steady_timer::duration>(remaining));
    const auto gen = generation;
    timer.async_wait([self = shared_from_this(), gen](boost::system::error_code ec) {
      if (ec || gen != self->generation || !self->deadline) return;  // replaced or cancelled
      if (self->clock.now() >= *self->deadline) {
        self->finish({});
      } else {
        self->arm_real();  // the wall clock stepped back: wait for the rest
      }
    });
  }
};

alarm::alarm(asio::any_io_executor ex, sluice::clock& clock) : state_(std::make_shared<state>(std::move(ex), clock)) {
  std::weak_ptr<state> weak = state_;
  auto on_advance = [weak] {
    // An unarmed alarm costs nothing when time moves: idle engines stay idle.
    if (auto s = weak.lock(); s && s->armed.load(std::memory_order_relaxed)) asio::post(s->ex, [s] { s->check(); });
  };
  state_->manual = clock.subscribe(on_advance, state_->subscription);
}

alarm::~alarm() {
  if (state_->manual) state_->clock.unsubscribe(state_->subscription);
  cancel();
}

void alarm::start(sys_time deadline, wait_handler handler) {
  auto& s = *state_;
  if (s.handler) s.finish(asio::error::operation_aborted);
  ++s.generation;
  s.deadline = deadline;
  s.handler = std::move(handler);
  s.armed.store(true, std::memory_order_relaxed);
  if (s.clock.now() >= deadline) {
    s.finish({});
  } else if (!s.manual) {
    s.arm_real();
  }
}

void alarm::cancel() noexcept {
  auto& s = *state_;
  ++s.generation;
  if (!s.manual) s.timer.cancel();
  if (s.handler) s.finish(asio::error::operation_aborted);
}

std::uint64_t alarm::expiries() const noexcept { return state_->expiries.load(std::memory_order_relaxed); }

}  // namespace sluice
