// The README's and docs/api.md's examples, as written there, compiled and run: with g++ 12 under
// ASan (the asan stage) they are the proof that the documented forms are the safe ones
// (sluice/detail/coawait_temporaries.hpp rejects the others at compile time).
#include "test_support.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace sluice_test;

namespace {

std::vector<int> charged;  // order ids whose payment was enqueued and handled

// README, "Embedding": a handler that chains a follow-up with a local message.
asio::awaitable<void> charge(order o, sluice::context& ctx) {
  const payment p{o.id};
  co_await ctx.async_enqueue("payments", p, asio::use_awaitable);  // chained: same correlation id
}

struct fixture {
  sluice::manual_clock clock;
  asio::io_context ioc;
  sluice::engine eng{ioc.get_executor(), manual_options(clock)};
  fixture() {
    charged.clear();
    BOOST_REQUIRE(!eng.handle<order>("orders", charge));
    BOOST_REQUIRE(!eng.handle<payment>("payments", [](payment p, sluice::context&) -> asio::awaitable<void> {
      charged.push_back(p.order_id);
      co_return;
    }));
    BOOST_REQUIRE(!eng.start());
  }
  ~fixture() { stop_engine(eng, ioc); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(readme_examples_suite, fixture)

BOOST_AUTO_TEST_CASE(the_embedding_example_runs_and_chains) {
  asio::co_spawn(
      ioc,
      [this]() -> asio::awaitable<void> {
        const order my_order{7, "a title long enough to live on the heap, not in a small string"};
        co_await eng.async_enqueue("orders", my_order, asio::use_awaitable);
      },
      asio::detached);
  BOOST_TEST(run_until(ioc, [] { return charged.size() == 1; }));
  BOOST_TEST(charged.at(0) == 7);
}

BOOST_AUTO_TEST_CASE(the_compiler_note_forms_run) {
  // docs/api.md, "Compiler note": locals for the message, the options and a built payload.
  asio::co_spawn(
      ioc,
      [this]() -> asio::awaitable<void> {
        const order o{1, "book with a long enough name to allocate its string"};
        co_await eng.async_enqueue("orders", o, asio::use_awaitable);
        sluice::enqueue_options options;
        options.dedup_key = "order-2-with-a-key-long-enough-to-allocate";
        options.headers.push_back({"tenant", "a tenant name long enough to allocate its string"});
        const order o2{2, "pen"};
        co_await eng.async_enqueue("orders", o2, options, asio::use_awaitable);
        sluice::enqueue_options keyed;
        keyed.ordering_key = "customer-3-with-a-long-enough-key";
        const order o3{3, "ink"};
        co_await eng.async_enqueue("orders", o3, keyed, asio::use_awaitable);
        const std::string payload = R"({"id": 4, "item": "a payload built at run time, long enough"})";
        co_await eng.async_enqueue_raw("orders", order::message_type, payload, keyed, asio::use_awaitable);
      },
      asio::detached);
  BOOST_TEST(run_until(ioc, [] { return charged.size() == 4; }));
}

BOOST_AUTO_TEST_SUITE_END()
