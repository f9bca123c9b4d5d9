// Lease state machine of one delivery (see delivery_lease.hpp).
#include "sluice/lease/delivery_lease.hpp"

#include <algorithm>

namespace sluice {

namespace {

sys_time after(sys_time t, std::chrono::nanoseconds d) noexcept {
  if (d.count() <= 0) return delivery_lease::never;
  const auto step = std::chrono::duration_cast<sys_time::duration>(d);
  return t > delivery_lease::never - step ? delivery_lease::never : t + step;
}

}  // namespace

sys_time delivery_lease::begin(message& m, const lease_terms& terms, sys_time now) {
  std::lock_guard lock(mutex_);
  state_ = state::running;
  m_ = &m;
  epoch_ = m.lease_epoch;
  terms_ = terms;
  timeout_at_ = after(now, terms.timeout);
  stuck_at_ = never;
  lease_until_ = after(now, terms.duration);
  // Renew when two thirds of the lease are gone: one missed check still leaves a third.
  heartbeat_at_ = terms.heartbeat ? after(now, terms.duration * 2 / 3) : never;
  return next_locked();
}

delivery_lease::finish_result delivery_lease::finish() noexcept {
  std::lock_guard lock(mutex_);
  finish_result r{state_ == state::revoked, state_ == state::timed_out || stuck_at_ != never};
  state_ = state::idle;
  m_ = nullptr;
  timeout_at_ = stuck_at_ = lease_until_ = heartbeat_at_ = never;
  return r;
}

delivery_lease::extend_result delivery_lease::extend(std::uint64_t epoch, sys_time until) noexcept {
  std::lock_guard lock(mutex_);
  if (epoch != epoch_ || (state_ != state::running && state_ != state::timed_out)) return extend_result::lost;
  if (lease_until_ != never && until > lease_until_) {
    const auto renewed = until - lease_until_;
    lease_until_ = until;
    if (heartbeat_at_ != never) heartbeat_at_ += renewed;
  }
  if (state_ == state::running && timeout_at_ != never && until > timeout_at_) timeout_at_ = until;
  return extend_result::extended;
}

delivery_lease::check_result delivery_lease::check(sys_time now) {
  std::lock_guard lock(mutex_);
  check_result r;
  r.epoch = epoch_;
  if (state_ == state::running && timeout_at_ <= now) {
    state_ = state::timed_out;
    stuck_at_ = after(timeout_at_, terms_.stuck_grace);
    if (stuck_at_ == never) stuck_at_ = timeout_at_;  // no grace: revoke right away
    heartbeat_at_ = never;                            // a handler past its timeout is not known to be alive
    r.cancel = true;
    r.timed_out = true;
  }
  if (state_ == state::running && heartbeat_at_ <= now) {
    lease_until_ = after(now, terms_.duration);
    heartbeat_at_ = after(now, terms_.duration * 2 / 3);
    r.heartbeat = true;
  }
  revocation why = revocation::none;
  if (state_ == state::timed_out && stuck_at_ <= now) why = revocation::stuck;
  if ((state_ == state::running || state_ == state::timed_out) && lease_until_ <= now) {
    why = why == revocation::none ? revocation::expired : why;
  }
  if (why != revocation::none) {
    r.copy = std::make_unique<message>(*m_);  // throws before any state change: the lease stays
    state_ = state::revoked;
    r.revoked = why;
    r.cancel = true;
  }
  r.next = next_locked();
  return r;
}

sys_time delivery_lease::next_locked() const noexcept {
  switch (state_) {
    case state::running:
      return std::min({timeout_at_, heartbeat_at_, lease_until_});
    case state::timed_out:
      return std::min(stuck_at_, lease_until_);
    default:
      return never;
  }
}

sys_time delivery_lease::lease_until() const {
  std::lock_guard lock(mutex_);
  return lease_until_;
}

bool delivery_lease::running() const {
  std::lock_guard lock(mutex_);
  return state_ == state::running || state_ == state::timed_out;
}

}  // namespace sluice
