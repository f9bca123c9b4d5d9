// Inspecting messages by state: pending, scheduled (delayed and retry backoff), in flight and dead
// letters, with filters and paging, one message by id, the oldest pending age, and the summaries
// following a message through its life (gone once acknowledged).
#include "test_support.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/test/unit_test.hpp>

#include <memory>

namespace asio = boost::asio;
using namespace sluice_test;
using namespace std::chrono_literals;

namespace {

struct fixture {
  sluice::manual_clock clock;
  asio::io_context ioc;
  sluice::engine eng{ioc.get_executor(), manual_options(clock)};
  asio::steady_timer gate{ioc};  // "block" orders wait on it until the test opens it
  int handled = 0;

  fixture() {
    gate.expires_at(asio::steady_timer::time_point::max());
    sluice::queue_options q;
    q.min_workers = 1;
    q.max_workers = 1;
    BOOST_REQUIRE(!eng.declare_queue("orders", q));
    BOOST_REQUIRE(!eng.handle<order>(
        "orders",
        [this](order o, sluice::context&) -> asio::awaitable<void> {
          if (o.item == "block") {
            auto opened = co_await gate.async_wait(asio::as_tuple(asio::use_awaitable));  // cancelled: opened
            (void)opened;
          }
          if (o.item == "flaky") throw std::runtime_error("payment gateway timeout");
          if (o.item == "poison") throw sluice::permanent_error("bad sku");
          ++handled;
        },
        fixed_backoff(3, 10s)));
    BOOST_REQUIRE(!eng.handle<payment>("payments", [this](payment, sluice::context&) -> asio::awaitable<void> {
      ++handled;
      co_return;
    }));
    BOOST_REQUIRE(!eng.start());
  }
  ~fixture() {
    gate.cancel();
    stop_engine(eng, ioc);
  }
  sluice::message_id enqueue(int id, const std::string& item, std::chrono::milliseconds delay = 0ms) {
    sluice::enqueue_options o;
    o.delay = delay;
    auto r = eng.try_enqueue("orders", order{id, item}, o);
    BOOST_REQUIRE(r.has_value());
    drain(ioc);
    clock.advance(1s);  // distinct enqueue times
    return *r;
  }
  std::vector<sluice::message_info> list(std::optional<sluice::message_state> state, std::size_t limit = 100,
                                         std::size_t offset = 0) {
    sluice::message_filter f;
    f.state = state;
    return eng.list_messages(f, limit, offset);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(engine_inspect_suite, fixture)

BOOST_AUTO_TEST_CASE(lists_every_state_with_its_details) {
  const auto blocked = enqueue(1, "block");  // occupies the only worker
  const auto flaky = enqueue(2, "flaky");    // waits behind it
  const auto later = enqueue(3, "ok", 1h);   // delayed: scheduled
  const auto waiting = enqueue(4, "ok");

  auto in_flight = list(sluice::message_state::in_flight);
  BOOST_REQUIRE_EQUAL(in_flight.size(), 1U);
  BOOST_TEST(in_flight[0].id == blocked);
  BOOST_TEST(in_flight[0].queue == "orders");
  BOOST_TEST(in_flight[0].type == "test.order");
  BOOST_TEST(in_flight[0].attempt == 1U);
  BOOST_TEST(in_flight[0].correlation_id == blocked.to_string());
  BOOST_TEST(in_flight[0].payload_bytes > 0U);

  auto pending = list(sluice::message_state::pending);
  BOOST_REQUIRE_EQUAL(pending.size(), 2U);
  BOOST_TEST(pending[0].id == flaky);  // oldest first
  BOOST_TEST(pending[1].id == waiting);

  auto scheduled = list(sluice::message_state::scheduled);
  BOOST_REQUIRE_EQUAL(scheduled.size(), 1U);
  BOOST_TEST(scheduled[0].id == later);
  BOOST_TEST((scheduled[0].since > clock.now() + 50min));  // due in about an hour

  // The oldest pending message waited since its enqueue (3 s ago: one second per enqueue since).
  const auto q = queue(eng.stats(), "orders");
  BOOST_TEST(q.oldest_pending_age.count() == std::chrono::nanoseconds(3s).count());

  BOOST_TEST(list(std::nullopt).size() == 4U);
  BOOST_TEST(list(sluice::message_state::dead_letter).empty());

  // Open the gate: the blocked order finishes, the flaky one fails and waits for its retry.
  gate.cancel();
  drain(ioc);
  BOOST_TEST(!eng.find_message(blocked).has_value());  // acknowledged: gone
  const auto f = eng.find_message(flaky);
  BOOST_REQUIRE(f.has_value());
  BOOST_TEST((f->state == sluice::message_state::scheduled));
  BOOST_TEST(f->attempt == 1U);
  BOOST_TEST(!eng.find_message(waiting).has_value());
  BOOST_TEST(queue(eng.stats(), "orders").oldest_pending_age.count() == 0);
}

BOOST_AUTO_TEST_CASE(dead_letters_are_listed_and_found) {
  const auto poison = enqueue(1, "poison");
  const auto letters = list(sluice::message_state::dead_letter);
  BOOST_REQUIRE_EQUAL(letters.size(), 1U);
  BOOST_TEST(letters[0].id == poison);
  BOOST_TEST(letters[0].attempt == 1U);
  const auto found = eng.find_message(poison);
  BOOST_REQUIRE(found.has_value());
  BOOST_TEST((found->state == sluice::message_state::dead_letter));
  BOOST_TEST(list(sluice::message_state::pending).empty());  // not also counted as live
  // Replayed: live again (it fails again and is dead-lettered once more).
  BOOST_REQUIRE(!eng.replay_dead_letter(poison));
  drain(ioc);
  BOOST_TEST(eng.find_message(poison)->replays == 1U);
}

BOOST_AUTO_TEST_CASE(filters_and_pages) {
  (void)enqueue(1, "block");
  std::vector<sluice::message_id> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(enqueue(10 + i, "ok"));
  BOOST_REQUIRE(eng.try_enqueue("payments", payment{1}).has_value());  // handled at once
  drain(ioc);

  auto page = list(sluice::message_state::pending, 2, 1);
  BOOST_REQUIRE_EQUAL(page.size(), 2U);
  BOOST_TEST(page[0].id == ids[1]);
  BOOST_TEST(page[1].id == ids[2]);
  BOOST_TEST(list(sluice::message_state::pending, 10, 5).empty());

  sluice::message_filter by_queue;
  by_queue.queue = "payments";
  BOOST_TEST(eng.list_messages(by_queue).empty());
  sluice::message_filter by_type;
  by_type.type = "test.payment";
  BOOST_TEST(eng.list_messages(by_type).empty());
  by_type.type = "test.order";
  BOOST_TEST(eng.list_messages(by_type).size() == 6U);
  sluice::message_filter by_correlation;
  by_correlation.correlation_id = ids[3].to_string();
  const auto one = eng.list_messages(by_correlation);
  BOOST_REQUIRE_EQUAL(one.size(), 1U);
  BOOST_TEST(one[0].id == ids[3]);
  BOOST_TEST(!eng.find_message(sluice::message_id{1, 2}).has_value());
}

BOOST_AUTO_TEST_CASE(untracked_engines_list_dead_letters_only) {
  sluice::manual_clock c;
  asio::io_context io;
  auto o = manual_options(c);
  o.track_messages = false;
  o.default_handler = fixed_backoff(0, 10ms);
  sluice::engine e(io.get_executor(), o);
  BOOST_REQUIRE(!e.handle<order>("orders", [](order x, sluice::context&) -> asio::awaitable<void> {
    if (x.item == "poison") throw sluice::permanent_error("bad sku");
    co_return;
  }));
  // Not started: messages wait, pending.
  BOOST_REQUIRE(e.try_enqueue("orders", order{1, "ok"}).has_value());
  sluice::message_filter pending;
  pending.state = sluice::message_state::pending;
  BOOST_TEST(e.list_messages(pending).empty());
  BOOST_TEST(queue(e.stats(), "orders").pending == 1U);
  BOOST_TEST(queue(e.stats(), "orders").oldest_pending_age.count() == 0);
  BOOST_REQUIRE(!e.start());
  BOOST_REQUIRE(e.try_enqueue("orders", order{2, "poison"}).has_value());
  drain(io);
  BOOST_TEST(e.list_messages().size() == 1U);  // the dead letter
  stop_engine(e, io);
}

BOOST_AUTO_TEST_CASE(state_names_round_trip) {
  for (auto s : {sluice::message_state::pending, sluice::message_state::scheduled, sluice::message_state::in_flight,
                 sluice::message_state::dead_letter}) {
    BOOST_TEST((sluice::parse_message_state(sluice::to_string(s)) == s));
  }
  BOOST_TEST(!sluice::parse_message_state("in_flight").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
