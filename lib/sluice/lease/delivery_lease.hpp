// The lease on one running delivery: who holds the message, until when, and what happens at each
// deadline. A worker begins and finishes deliveries; the queue's lease monitor checks the deadlines
// when they are due; the handler's context extends the lease. The state machine:
//
//   idle --begin--> running --timeout--> timed_out --grace--> revoked (stuck)
//                   running --lease ends without heartbeat--> revoked (expired)
//   running | timed_out --finish--> idle (the worker's outcome applies)
//   revoked --finish--> idle (the outcome is stale: rejected as lease_lost)
//
// Revocation copies the envelope for the monitor to requeue, so the stale handler may keep reading
// its own copy. Fencing: every checkout carries the message's lease epoch; an extension naming an
// epoch other than the running one, or arriving after revocation, is rejected.
// Thread-safety: every member is safe from any thread (one mutex, never held across a handler).
#pragma once

#include "sluice/message/message.hpp"
#include "sluice/time/clock.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>

namespace sluice {

struct lease_terms {
  std::chrono::nanoseconds timeout{0};      // cancel the handler after this; 0 = never
  std::chrono::nanoseconds stuck_grace{0};  // after the cancellation, revoke if still running
  std::chrono::nanoseconds duration{0};     // the lease; 0 = no lease deadline
  bool heartbeat = true;                    // renew the lease while the handler runs and is not timed out

  [[nodiscard]] bool any() const noexcept { return timeout.count() > 0 || duration.count() > 0; }
};

enum class revocation : std::uint8_t { none, stuck, expired };

class delivery_lease {
 public:
  static constexpr sys_time never = sys_time::max();

  // --- worker ---
  // Starts holding m (its attempt and lease epoch already counted for this checkout); returns the
  // earliest deadline the monitor must look at (never when the terms set none).
  sys_time begin(message& m, const lease_terms& terms, sys_time now);
  struct finish_result {
    bool revoked = false;    // the outcome is stale: another delivery owns the message now
    bool timed_out = false;  // the timeout's cancellation was raised during this delivery
  };
  finish_result finish() noexcept;

  // --- handler context ---
  enum class extend_result : std::uint8_t { extended, lost };
  // Moves the lease (and the timeout, unless it already fired) to at least `until`.
  extend_result extend(std::uint64_t epoch, sys_time until) noexcept;

  // --- monitor ---
  struct check_result {
    bool cancel = false;                    // raise the handler's cancellation (timeout or revocation)
    bool timed_out = false;                 // the timeout fired in this check
    bool heartbeat = false;                 // the lease was renewed
    revocation revoked = revocation::none;  // copy holds the envelope to requeue
    std::unique_ptr<message> copy;
    std::uint64_t epoch = 0;  // of the delivery the result is about
    sys_time next = never;    // the next deadline of this delivery
  };
  // Acts on every deadline due at `now`. Allocation failure of the copy leaves the lease running.
  check_result check(sys_time now);

  // Deadlines of the current delivery (tests and stats).
  [[nodiscard]] sys_time lease_until() const;
  [[nodiscard]] bool running() const;

 private:
  enum class state : std::uint8_t { idle, running, timed_out, revoked };
  [[nodiscard]] sys_time next_locked() const noexcept;

  mutable std::mutex mutex_;
  state state_ = state::idle;
  message* m_ = nullptr;
  std::uint64_t epoch_ = 0;
  lease_terms terms_{};
  sys_time timeout_at_ = never;
  sys_time stuck_at_ = never;
  sys_time lease_until_ = never;
  sys_time heartbeat_at_ = never;
};

}  // namespace sluice
