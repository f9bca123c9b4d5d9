// The lease state machine on its own: deadlines, timeout then stuck revocation, heartbeats,
// expiry, extension and fencing by epoch.
#include "sluice/lease/delivery_lease.hpp"

#include <boost/test/unit_test.hpp>

using namespace std::chrono_literals;
using sluice::delivery_lease;
using sluice::revocation;

namespace {

struct fixture {
  sluice::sys_time t0{std::chrono::hours(1000)};
  sluice::message m;
  delivery_lease lease;

  fixture() {
    m.type = "t";
    m.payload = "payload";
    m.attempt = 1;
    m.lease_epoch = 7;
  }
  static sluice::lease_terms terms(std::chrono::nanoseconds timeout, std::chrono::nanoseconds grace,
                                   std::chrono::nanoseconds duration, bool heartbeat) {
    return sluice::lease_terms{timeout, grace, duration, heartbeat};
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(delivery_lease_suite, fixture)

BOOST_AUTO_TEST_CASE(begin_reports_the_earliest_deadline) {
  BOOST_TEST((lease.begin(m, terms(10s, 1s, 60s, false), t0) == t0 + 10s));
  (void)lease.finish();
  BOOST_TEST((lease.begin(m, terms(10s, 1s, 6s, true), t0) == t0 + 4s));  // heartbeat at 2/3 of the lease
  (void)lease.finish();
  BOOST_TEST((lease.begin(m, terms(0s, 0s, 0s, true), t0) == delivery_lease::never));
}

BOOST_AUTO_TEST_CASE(timeout_cancels_then_grace_revokes_with_a_copy) {
  (void)lease.begin(m, terms(10s, 2s, 0s, true), t0);
  auto early = lease.check(t0 + 9s);
  BOOST_TEST(!early.cancel);
  BOOST_TEST((early.next == t0 + 10s));

  auto timeout = lease.check(t0 + 10s);
  BOOST_TEST(timeout.cancel);
  BOOST_TEST(timeout.timed_out);
  BOOST_TEST((timeout.revoked == revocation::none));
  BOOST_TEST((timeout.next == t0 + 12s));
  BOOST_TEST(timeout.epoch == 7U);

  auto stuck = lease.check(t0 + 12s);
  BOOST_TEST((stuck.revoked == revocation::stuck));
  BOOST_TEST(!stuck.timed_out);  // reported once, by the earlier check
  BOOST_REQUIRE(stuck.copy);
  BOOST_TEST(stuck.copy->payload == "payload");
  BOOST_TEST(stuck.copy->attempt == 1U);
  BOOST_TEST((stuck.next == delivery_lease::never));
  BOOST_TEST(!lease.running());

  auto done = lease.finish();
  BOOST_TEST(done.revoked);
  BOOST_TEST(done.timed_out);
}

BOOST_AUTO_TEST_CASE(a_handler_finishing_within_the_grace_keeps_its_outcome) {
  (void)lease.begin(m, terms(10s, 2s, 0s, true), t0);
  BOOST_TEST(lease.check(t0 + 10s).cancel);
  auto done = lease.finish();
  BOOST_TEST(!done.revoked);
  BOOST_TEST(done.timed_out);
  BOOST_TEST((lease.check(t0 + 20s).revoked == revocation::none));  // idle: nothing to act on
}

BOOST_AUTO_TEST_CASE(heartbeats_renew_the_lease_while_running) {
  (void)lease.begin(m, terms(0s, 0s, 3s, true), t0);
  auto hb = lease.check(t0 + 2s);
  BOOST_TEST(hb.heartbeat);
  BOOST_TEST((lease.lease_until() == t0 + 5s));
  BOOST_TEST((hb.next == t0 + 4s));
  for (int i = 0; i < 100; ++i) BOOST_TEST((lease.check(t0 + 4s + i * 2s).revoked == revocation::none));
  BOOST_TEST(!lease.finish().revoked);
}

BOOST_AUTO_TEST_CASE(without_heartbeat_the_lease_expires) {
  (void)lease.begin(m, terms(0s, 0s, 3s, false), t0);
  BOOST_TEST((lease.check(t0 + 2999ms).revoked == revocation::none));
  auto r = lease.check(t0 + 3s);
  BOOST_TEST((r.revoked == revocation::expired));
  BOOST_TEST(r.cancel);  // the stale handler is told to stop
  BOOST_TEST(lease.finish().revoked);
}

BOOST_AUTO_TEST_CASE(extension_moves_lease_and_timeout_but_never_back) {
  (void)lease.begin(m, terms(2s, 1s, 3s, false), t0);
  BOOST_TEST((lease.extend(7, t0 + 10s) == delivery_lease::extend_result::extended));
  BOOST_TEST((lease.lease_until() == t0 + 10s));
  BOOST_TEST((lease.extend(7, t0 + 5s) == delivery_lease::extend_result::extended));
  BOOST_TEST((lease.lease_until() == t0 + 10s));  // never shortened
  BOOST_TEST(!lease.check(t0 + 9s).cancel);       // the timeout moved with it
  BOOST_TEST(lease.check(t0 + 10s).cancel);
}

BOOST_AUTO_TEST_CASE(a_stale_epoch_or_a_revoked_delivery_cannot_extend) {
  (void)lease.begin(m, terms(0s, 0s, 3s, false), t0);
  BOOST_TEST((lease.extend(6, t0 + 10s) == delivery_lease::extend_result::lost));
  BOOST_TEST((lease.lease_until() == t0 + 3s));
  BOOST_TEST((lease.check(t0 + 3s).revoked == revocation::expired));
  BOOST_TEST((lease.extend(7, t0 + 10s) == delivery_lease::extend_result::lost));
}

BOOST_AUTO_TEST_CASE(no_grace_revokes_at_the_timeout) {
  (void)lease.begin(m, terms(1s, 0s, 0s, true), t0);
  auto r = lease.check(t0 + 1s);
  BOOST_TEST(r.cancel);
  BOOST_TEST((r.revoked == revocation::stuck));
}

BOOST_AUTO_TEST_SUITE_END()
