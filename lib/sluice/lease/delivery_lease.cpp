// Lock-free lease state machine of one delivery (see delivery_lease.hpp).
#include "sluice/lease/delivery_lease.hpp"

#include <algorithm>
#include <thread>

namespace sluice {

namespace {

enum state : std::uint64_t { s_idle = 0, s_running = 1, s_timed_out = 2, s_revoking = 3, s_revoked = 4 };

constexpr std::uint64_t state_bits = 3;
constexpr std::uint64_t gen_bits = 21;
constexpr std::uint64_t state_mask = (1ULL << state_bits) - 1;
constexpr std::uint64_t gen_one = 1ULL << state_bits;
constexpr std::uint64_t gen_mask = ((1ULL << gen_bits) - 1) << state_bits;
constexpr std::uint64_t epoch_shift = state_bits + gen_bits;

constexpr std::uint64_t state_of(std::uint64_t w) { return w & state_mask; }
constexpr std::uint64_t epoch_of(std::uint64_t w) { return w >> epoch_shift; }
constexpr std::uint64_t with_state(std::uint64_t w, std::uint64_t s) { return (w & ~state_mask) | s; }
constexpr std::uint64_t bump_gen(std::uint64_t w) { return (w & ~gen_mask) | ((w + gen_one) & gen_mask); }
constexpr std::uint64_t short_epoch(std::uint64_t e) { return e & ((1ULL << (64 - epoch_shift)) - 1); }

using rep = sys_time::rep;
constexpr rep never_rep = sys_time::max().time_since_epoch().count();

rep after(rep t, std::int64_t ns) noexcept {
  if (ns <= 0 || t == never_rep) return never_rep;
  const auto step = std::chrono::duration_cast<sys_time::duration>(std::chrono::nanoseconds(ns)).count();
  return t > never_rep - step ? never_rep : t + step;
}

void raise_to(std::atomic<rep>& a, rep v) noexcept {
  rep cur = a.load(std::memory_order_relaxed);
  while (cur < v && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

sys_time as_time(rep r) { return sys_time(sys_time::duration(r)); }

}  // namespace

sys_time delivery_lease::begin(message& m, const lease_terms& terms, sys_time now) noexcept {
  const rep t = now.time_since_epoch().count();
  const auto duration = terms.duration.count();
  grace_ns_.store(terms.stuck_grace.count(), std::memory_order_relaxed);
  duration_ns_.store(duration, std::memory_order_relaxed);
  heartbeat_.store(terms.heartbeat, std::memory_order_relaxed);
  const rep timeout_at = after(t, terms.timeout.count());
  const rep lease_until = after(t, duration);
  // Renew when two thirds of the lease are gone: one late check still leaves a third.
  const rep heartbeat_at = terms.heartbeat ? after(t, duration * 2 / 3) : never_rep;
  timeout_at_.store(timeout_at, std::memory_order_relaxed);
  stuck_at_.store(never_rep, std::memory_order_relaxed);
  lease_until_.store(lease_until, std::memory_order_relaxed);
  heartbeat_at_.store(heartbeat_at, std::memory_order_relaxed);
  revoked_why_.store(revocation::none, std::memory_order_relaxed);
  m_.store(&m, std::memory_order_relaxed);
  word_.store((short_epoch(m.lease_epoch) << epoch_shift) | s_running, std::memory_order_release);
  return as_time(std::min({timeout_at, heartbeat_at, lease_until}));
}

delivery_lease::finish_result delivery_lease::finish() noexcept {
  const std::uint64_t prev = word_.exchange(s_idle, std::memory_order_acq_rel);
  switch (state_of(prev)) {
    case s_running:
      return {false, false};
    case s_timed_out:
      return {false, true};
    case s_revoking:
      // The monitor is copying the envelope: wait for it before the worker frees it.
      while (copied_epoch_.load(std::memory_order_acquire) != epoch_of(prev)) std::this_thread::yield();
      [[fallthrough]];
    case s_revoked: {
      const revocation why = revoked_why_.load(std::memory_order_relaxed);
      if (why == revocation::none)
        return {false, stuck_at_.load(std::memory_order_relaxed) != never_rep};  // copy failed
      return {true, why == revocation::stuck};
    }
    default:
      return {false, false};
  }
}

delivery_lease::extend_result delivery_lease::extend(std::uint64_t epoch, sys_time until) noexcept {
  const rep u = until.time_since_epoch().count();
  std::uint64_t w = word_.load(std::memory_order_acquire);
  for (;;) {
    const auto s = state_of(w);
    if (epoch_of(w) != short_epoch(epoch) || (s != s_running && s != s_timed_out)) return extend_result::lost;
    if (lease_until_.load(std::memory_order_relaxed) != never_rep) raise_to(lease_until_, u);
    if (s == s_running && timeout_at_.load(std::memory_order_relaxed) != never_rep) raise_to(timeout_at_, u);
    // A new generation: a monitor that read the old deadlines cannot act on them.
    if (word_.compare_exchange_weak(w, bump_gen(w), std::memory_order_acq_rel, std::memory_order_acquire)) {
      return extend_result::extended;
    }
  }
}

delivery_lease::check_result delivery_lease::check(sys_time now, revoke_hook on_revoke) noexcept {
  const rep t = now.time_since_epoch().count();
  check_result r;
  for (;;) {
    std::uint64_t w = word_.load(std::memory_order_acquire);
    const auto s = state_of(w);
    if (s != s_running && s != s_timed_out) return check_result{};
    r = check_result{};
    r.epoch = epoch_of(w);
    std::uint64_t next_state = s;
    rep stuck_at = stuck_at_.load(std::memory_order_relaxed);
    const rep timeout_at = timeout_at_.load(std::memory_order_relaxed);
    if (s == s_running && timeout_at <= t) {
      next_state = s_timed_out;
      stuck_at = after(timeout_at, grace_ns_.load(std::memory_order_relaxed));
      if (stuck_at == never_rep) stuck_at = timeout_at;  // no grace: revoke right away
      r.cancel = true;
      r.timed_out = true;
    }
    rep lease_until = lease_until_.load(std::memory_order_relaxed);
    rep heartbeat_at = heartbeat_at_.load(std::memory_order_relaxed);
    if (next_state == s_running && heartbeat_at <= t) {
      const auto d = duration_ns_.load(std::memory_order_relaxed);
      lease_until = std::max(lease_until, after(t, d));
      heartbeat_at = after(t, d * 2 / 3);
      r.heartbeat = true;
    }
    revocation why = revocation::none;
    if (next_state == s_timed_out && stuck_at <= t) why = revocation::stuck;
    if (why == revocation::none && lease_until <= t) why = revocation::expired;
    if (why != revocation::none) {
      if (!word_.compare_exchange_strong(w, with_state(w, s_revoking), std::memory_order_acq_rel)) continue;
      try {
        message& original = *m_.load(std::memory_order_relaxed);
        r.copy = std::make_unique<message>(original);
        if (on_revoke.fn) on_revoke.fn(on_revoke.context, original);
      } catch (...) {  // leave it s_running; the monitor tries again
        copied_epoch_.store(r.epoch, std::memory_order_release);
        std::uint64_t expect = with_state(w, s_revoking);
        (void)word_.compare_exchange_strong(expect, w, std::memory_order_acq_rel);
        return check_result{false, false, false, revocation::none, nullptr, r.epoch, as_time(after(t, 1'000'000'000))};
      }
      revoked_why_.store(why, std::memory_order_relaxed);
      copied_epoch_.store(r.epoch, std::memory_order_release);
      std::uint64_t expect = with_state(w, s_revoking);
      (void)word_.compare_exchange_strong(expect, with_state(w, s_revoked), std::memory_order_acq_rel);
      r.revoked = why;
      r.cancel = true;
      r.next = never;
      return r;
    }
    if (next_state != s) {
      if (!word_.compare_exchange_strong(w, with_state(w, next_state), std::memory_order_acq_rel)) continue;
      stuck_at_.store(stuck_at, std::memory_order_relaxed);  // only the monitor reads it from here on
    }
    if (r.heartbeat) {
      raise_to(lease_until_, lease_until);
      heartbeat_at_.store(heartbeat_at, std::memory_order_relaxed);
    }
    r.next = next_state == s_running ? as_time(std::min({timeout_at, heartbeat_at, lease_until}))
                                     : as_time(std::min(stuck_at, lease_until));
    return r;
  }
}

sys_time delivery_lease::lease_until() const noexcept { return as_time(lease_until_.load(std::memory_order_relaxed)); }

bool delivery_lease::running() const noexcept {
  const auto s = state_of(word_.load(std::memory_order_acquire));
  return s == s_running || s == s_timed_out;
}

}  // namespace sluice
