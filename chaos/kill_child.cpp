// The child of the SIGKILL chaos test (kill_test.cpp): an engine with persistence (fsync) on the
// given data directory (32 KiB journal segments, a snapshot every 200 records). It enqueues orders first..last and
// prints "acked N" once each enqueue's completion says it is durable; its handler prints "ran N attempt A" and
// acknowledges, except: every 7th order fails its first attempt (a retry), and order `poison` aborts the whole process
// on every attempt. With --drain it enqueues nothing and exits once the queue is empty (the final
// verification run). Output is flushed per line so the parent sees exactly what was acknowledged
// before the kill.
//   sluice_chaos_child DIR FIRST LAST POISON [--drain]
#include <sluice/sluice.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

void say(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: sluice_chaos_child DIR FIRST LAST POISON [--drain]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const long first = std::atol(argv[2]);
  const long last = std::atol(argv[3]);
  const long poison = std::atol(argv[4]);
  const bool drain = argc > 5 && std::string(argv[5]) == "--drain";

  asio::io_context ioc(1);
  sluice::engine_options o;
  o.persistence.data_dir = dir;
  // Small segments and frequent snapshots: kills land in SQLite commits and journal truncations.
  o.persistence.segment_bytes = 32 * 1024;
  o.persistence.snapshot_every_records = 200;
  o.persistence.snapshot_min_gap = std::chrono::milliseconds(0);
  o.log = [](sluice::log_level level, std::string_view line) {
    if (level >= sluice::log_level::warn)
      std::fprintf(stderr, "child: %.*s\n", static_cast<int>(line.size()), line.data());
  };
  o.default_handler.max_retries = 2;
  o.default_handler.backoff.strategy = sluice::backoff_strategy::fixed;
  o.default_handler.backoff.initial = std::chrono::milliseconds(1);
  o.default_handler.backoff.max = std::chrono::milliseconds(1);
  sluice::engine eng(ioc.get_executor(), o);
  sluice::queue_options q;
  q.min_workers = q.max_workers = 2;
  q.capacity = 100'000;
  if (eng.declare_queue("jobs", q)) return 3;
  auto ec = eng.handle_raw("jobs", "job", [&](std::string_view payload, sluice::context& ctx) -> asio::awaitable<void> {
    const long id = std::atol(std::string(payload).c_str());
    say("ran " + std::to_string(id) + " attempt " + std::to_string(ctx.attempt()));
    if (id == poison) std::abort();  // takes the whole process down, every time
    if (id % 7 == 0 && ctx.attempt() == 1) throw std::runtime_error("transient");
    co_return;
  });
  if (ec) return 3;
  if (auto started = eng.start()) {
    std::fprintf(stderr, "child: start failed: %s\n", started.message().c_str());
    return 4;
  }
  say("started");
  if (drain) {
    // Exit once nothing is pending, scheduled or in flight.
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          asio::steady_timer t(ioc);
          for (;;) {
            t.expires_after(std::chrono::milliseconds(20));
            co_await t.async_wait(asio::use_awaitable);
            const auto s = eng.stats();
            const auto& j = s.queues.front();
            if (j.pending == 0 && j.scheduled == 0 && j.in_flight == 0 && s.journal.pending == 0) break;
          }
          for (const auto& d : eng.dead_letters({}, SIZE_MAX)) {
            say("dead " + d.envelope.payload + " " + std::to_string(d.envelope.attempt) + " " + d.cause.error_type);
          }
          co_await eng.async_stop(std::chrono::seconds(5), asio::use_awaitable);
        },
        asio::detached);
  } else {
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          for (long i = first; i <= last; ++i) {
            const sluice::enqueue_options opts;
            const std::string payload = std::to_string(i);
            auto [e, id] =
                co_await eng.async_enqueue_raw("jobs", "job", payload, opts, asio::as_tuple(asio::use_awaitable));
            if (!e) say("acked " + payload);
          }
          say("enqueued all");
        },
        asio::detached);
  }
  ioc.run();
  return 0;
}
