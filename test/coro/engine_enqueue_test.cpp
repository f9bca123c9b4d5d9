// async_enqueue as an Asio operation (every completion token), try_enqueue, and clear errors
// for bad input.
#include "test_support.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>

#include <set>

namespace asio = boost::asio;
using namespace sluice_test;
using boost::system::error_code;

namespace {

struct fixture {
  sluice::manual_clock clock;
  asio::io_context ioc;
  sluice::engine eng{ioc.get_executor(), manual_options(clock)};
  std::vector<order> received;

  fixture() {
    BOOST_REQUIRE(!eng.handle<order>("orders", [this](order o, sluice::context&) -> asio::awaitable<void> {
      received.push_back(o);
      co_return;
    }));
  }
  ~fixture() { stop_engine(eng, ioc); }
};

asio::awaitable<void> enqueue_one(sluice::engine& eng, order o, sluice::message_id& out) {
  out = co_await eng.async_enqueue("orders", o, asio::use_awaitable);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(engine_enqueue_suite, fixture)

BOOST_AUTO_TEST_CASE(use_awaitable_completes_with_the_message_id) {
  BOOST_REQUIRE(!eng.start());
  sluice::message_id id;
  asio::co_spawn(ioc, enqueue_one(eng, order{1, "book"}, id), asio::detached);
  BOOST_TEST(run_until(ioc, [&] { return received.size() == 1; }));
  BOOST_TEST(!id.empty());
  BOOST_TEST(received[0].item == "book");
}

BOOST_AUTO_TEST_CASE(deferred_initiates_only_when_launched) {
  BOOST_REQUIRE(!eng.start());
  const order o{2, "pen"};
  auto op = eng.async_enqueue("orders", o, asio::deferred);
  drain(ioc);
  BOOST_TEST(received.empty());  // nothing happens until the deferred operation is launched
  error_code result = sluice::errc::io_error;
  std::move(op)([&](error_code ec, sluice::message_id) { result = ec; });
  BOOST_TEST(run_until(ioc, [&] { return received.size() == 1; }));
  BOOST_TEST(!result);
}

BOOST_AUTO_TEST_CASE(use_future_delivers_the_id) {
  BOOST_REQUIRE(!eng.start());
  const order o{3, "cup"};
  std::future<sluice::message_id> f = eng.async_enqueue("orders", o, asio::use_future);
  BOOST_TEST(run_until(ioc, [&] { return received.size() == 1; }));
  BOOST_TEST((f.wait_for(std::chrono::seconds(0)) == std::future_status::ready));
  BOOST_TEST(!f.get().empty());
}

BOOST_AUTO_TEST_CASE(a_plain_callback_runs_on_the_engine_executor_not_inline) {
  BOOST_REQUIRE(!eng.start());
  bool called = false;
  const order o{4, "mug"};
  eng.async_enqueue("orders", o, [&](error_code ec, sluice::message_id id) {
    BOOST_TEST(!ec);
    BOOST_TEST(!id.empty());
    called = true;
  });
  BOOST_TEST(!called);  // never invoked from inside the initiating call
  BOOST_TEST(run_until(ioc, [&] { return called && received.size() == 1; }));
}

BOOST_AUTO_TEST_CASE(try_enqueue_serves_callers_outside_asio_and_ids_are_unique) {
  std::set<sluice::message_id> ids;
  for (int i = 0; i < 100; ++i) {
    auto r = eng.try_enqueue("orders", order{i, "x"});
    BOOST_REQUIRE(r.has_value());
    ids.insert(*r);
  }
  BOOST_TEST(ids.size() == 100U);
  BOOST_REQUIRE(!eng.start());  // messages enqueued before start wait for the workers
  BOOST_TEST(run_until(ioc, [&] { return received.size() == 100; }));
  for (int i = 0; i < 100; ++i) BOOST_TEST(received[static_cast<std::size_t>(i)].id == i);  // FIFO
}

BOOST_AUTO_TEST_CASE(bad_input_gets_a_clear_error_code) {
  const order o{5, "x"};
  BOOST_TEST(eng.try_enqueue("", o).error() == sluice::errc::unknown_queue);
  BOOST_TEST(eng.try_enqueue("nope", o).error() == sluice::errc::unknown_queue);
  BOOST_TEST(eng.try_enqueue_raw("orders", "test.unknown", "{}").error() == sluice::errc::unknown_message_type);
  BOOST_TEST(eng.try_enqueue_raw("orders", "", "{}").error() == sluice::errc::unknown_message_type);
  BOOST_TEST(eng.try_enqueue_raw("orders", "test.order", std::string((1U << 20) + 1, 'x')).error() ==
             sluice::errc::payload_too_large);
  error_code async_error;
  const sluice::enqueue_options defaults;
  eng.async_enqueue_raw("missing", "test.order", "{}", defaults,
                        [&](error_code ec, sluice::message_id) { async_error = ec; });
  drain(ioc);
  BOOST_TEST(async_error == sluice::errc::unknown_queue);
  BOOST_TEST(async_error.message() == "no queue with this name");
}

BOOST_AUTO_TEST_CASE(registration_errors_are_reported) {
  auto noop = [](order, sluice::context&) -> asio::awaitable<void> { co_return; };
  BOOST_TEST(eng.handle<order>("orders", noop) == sluice::errc::already_exists);
  BOOST_TEST(eng.handle_raw("orders", "", [](std::string_view, sluice::context&) -> asio::awaitable<void> {
    co_return;
  }) == sluice::errc::invalid_argument);
  BOOST_TEST(eng.declare_queue("", {}) == sluice::errc::invalid_argument);
  sluice::queue_options bad;
  bad.min_workers = 5;
  bad.max_workers = 2;
  BOOST_TEST(eng.declare_queue("bad", bad) == sluice::errc::invalid_argument);
  BOOST_REQUIRE(!eng.start());
  BOOST_TEST(eng.start() == sluice::errc::already_exists);
  BOOST_TEST(eng.handle<order>("late", noop) == sluice::errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(raw_handlers_receive_the_bytes_and_the_type) {
  std::string got;
  std::string got_type;
  BOOST_REQUIRE(
      !eng.handle_raw("blobs", "test.blob", [&](std::string_view bytes, sluice::context& ctx) -> asio::awaitable<void> {
        got = std::string(bytes);  // the view is valid only while the handler runs
        got_type = ctx.type();
        co_return;
      }));
  BOOST_REQUIRE(!eng.start());
  std::string payload("\x00\x01\xff binary", 10);
  BOOST_REQUIRE(eng.try_enqueue_raw("blobs", "test.blob", payload).has_value());
  BOOST_TEST(run_until(ioc, [&] { return !got.empty(); }));
  BOOST_TEST(got == payload);
  BOOST_TEST(got_type == "test.blob");
}

BOOST_AUTO_TEST_SUITE_END()
