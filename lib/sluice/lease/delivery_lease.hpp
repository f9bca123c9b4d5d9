// The lease on one running delivery: who holds the message, until when, and what happens at each
// deadline. A worker begins and finishes deliveries; the queue's lease monitor checks the deadlines
// when they are due; the handler's context extends the lease. The state machine:
//
//   idle --begin--> running --timeout--> timed_out --grace--> revoking --copied--> revoked (stuck)
//                   running | timed_out --lease ends without renewal--> revoking ... (expired)
//   running | timed_out --finish--> idle (the worker's outcome applies)
//   revoking | revoked --finish--> idle (the outcome is stale: rejected as lease_lost)
//
// Lock-free: one 64-bit word holds the state, the delivery's epoch and a generation bumped by
// every extension, so the monitor acts only if nothing changed since it read the deadlines (a
// compare-exchange on the word). The worker's hot path is one release store (begin) and one
// exchange (finish). Revocation copies the envelope for the monitor to requeue; a worker finishing
// while that copy is being made waits for it (rare, microseconds) before freeing its envelope.
// Fencing: an extension naming an epoch other than the running one, or arriving after
// revocation, is rejected.
// Thread-safety: begin/finish from the worker, extend from the handler, check from the monitor.
#pragma once

#include "sluice/message/message.hpp"
#include "sluice/time/clock.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

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
  sys_time begin(message& m, const lease_terms& terms, sys_time now) noexcept;
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
  // Called on a revoked delivery's envelope after it was copied, while the worker cannot free
  // it yet (it waits for the copy): e.g. to drop it from an index in favour of the copy.
  struct revoke_hook {
    void (*fn)(void* context, message& original) noexcept;
    void* context;
  };
  // Acts on every deadline due at `now`. If the copy cannot be allocated the delivery stays
  // running and `next` asks to be checked again.
  check_result check(sys_time now, revoke_hook on_revoke = {nullptr, nullptr}) noexcept;

  // Deadlines of the current delivery (tests and stats).
  [[nodiscard]] sys_time lease_until() const noexcept;
  [[nodiscard]] bool running() const noexcept;

 private:
  using rep = sys_time::rep;
  static constexpr rep never_rep = sys_time::max().time_since_epoch().count();

  std::atomic<std::uint64_t> word_{0};  // epoch (40 bits) | generation (21 bits) | state (3 bits)
  std::atomic<message*> m_{nullptr};
  std::atomic<rep> timeout_at_{never_rep};
  std::atomic<rep> stuck_at_{never_rep};
  std::atomic<rep> lease_until_{never_rep};
  std::atomic<rep> heartbeat_at_{never_rep};
  std::atomic<std::int64_t> grace_ns_{0};
  std::atomic<std::int64_t> duration_ns_{0};
  std::atomic<bool> heartbeat_{false};
  std::atomic<std::uint64_t> copied_epoch_{0};  // the monitor finished copying this delivery
  std::atomic<revocation> revoked_why_{revocation::none};
};

}  // namespace sluice
