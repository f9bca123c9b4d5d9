// The soak suite's workload process (soak_test starts it, lets it run or SIGKILLs it, and starts
// it again on the same data directory): the OrderFlow handlers with persistence on, a steady
// stream of orders with bursts, injected transient and permanent failures, dead-letter replays,
// scaling up and down and snapshots. It appends what the oracle needs to a journal of its own
// (one write(2) per line, so a SIGKILL loses at most a line being written):
//   ack <order>         the order's enqueue completed (durable)
//   done <order>        the chain ended: the notification handler ran
//   res <s> <rss_kb> <fds> <data_bytes> <processed>   resources, every second
//   stopped             a clean stop completed
//   sluice_soak_child DATA_DIR EVENTS_FILE FIRST_ORDER_ID SECONDS RATE [--drain]
// With --drain it places no orders: it replays every dead letter until the queues and the
// dead-letter queue are empty, then stops cleanly.
#include "handlers.hpp"
#include "orderflow_messages.hpp"

#include <sluice/sluice.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

int events_fd = -1;

void emit(const std::string& line) {
  const std::string l = line + "\n";
  // One write per line: O_APPEND keeps lines of concurrent writers whole.
  [[maybe_unused]] const auto n = ::write(events_fd, l.data(), l.size());
}

long rss_kb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0;
  long resident = 0;
  statm >> pages >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

long open_fds() {
  long n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

std::uintmax_t data_bytes(const std::string& dir) {
  std::uintmax_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  }
  return total;
}

struct workload {
  sluice::engine& eng;
  std::string data_dir;
  long next_order;
  double rate;
  steady::time_point until;
  std::atomic<long> in_flight_enqueues{0};
};

asio::awaitable<void> place(workload& w, long id) {
  const orderflow::order_placed o{id, "sku-" + std::to_string(id % 97), 1 + static_cast<int>(id % 3), 1999, 0};
  const sluice::enqueue_options options;
  auto [ec, mid] = co_await w.eng.async_enqueue("orders", o, options, asio::as_tuple(asio::use_awaitable));
  (void)mid;
  if (!ec) emit("ack " + std::to_string(id));
  // The oracle's own test (sluice_soak --inject-lost-ack): claim an ack for an order never placed.
  if (!ec && id % 1000 == 7 && std::getenv("SLUICE_SOAK_INJECT_LOST_ACK")) emit("ack " + std::to_string(-id));
  --w.in_flight_enqueues;
}

// Steady orders at `rate` per second, and every 10 s a burst of 5 s worth at once.
asio::awaitable<void> produce(workload& w) {
  asio::steady_timer pace(co_await asio::this_coro::executor);
  const auto gap = std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(1.0 / w.rate));
  auto next = steady::now();
  auto next_burst = steady::now() + 10s;
  const auto ex = co_await asio::this_coro::executor;
  while (steady::now() < w.until) {
    next += gap;
    pace.expires_at(next);
    auto waited = co_await pace.async_wait(asio::as_tuple(asio::use_awaitable));
    (void)waited;
    const int count = steady::now() >= next_burst ? static_cast<int>(w.rate * 5) : 1;
    if (count > 1) next_burst += 10s;
    for (int i = 0; i < count; ++i) {
      ++w.in_flight_enqueues;
      asio::co_spawn(ex, place(w, w.next_order++), asio::detached);
    }
  }
}

// Every second: resources. Every 5 s: replay dead letters, rescale a queue, take a snapshot.
asio::awaitable<void> operate(workload& w, bool draining, std::function<void()> finished) {
  asio::steady_timer tick(co_await asio::this_coro::executor);
  std::mt19937 random(static_cast<unsigned>(w.next_order));
  const auto started = steady::now();
  for (int second = 1;; ++second) {
    tick.expires_after(1s);
    auto waited = co_await tick.async_wait(asio::as_tuple(asio::use_awaitable));
    (void)waited;
    std::uint64_t processed = 0;
    bool empty = true;
    for (const auto& q : w.eng.stats().queues) {
      processed += q.processed;
      if (q.pending + q.in_flight + q.scheduled + q.dead_letters != 0) empty = false;
    }
    emit("res " + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(steady::now() - started).count()) +
         " " + std::to_string(rss_kb()) + " " + std::to_string(open_fds()) + " " +
         std::to_string(data_bytes(w.data_dir)) + " " + std::to_string(processed));
    if (second % 5 == 0 || draining) {
      sluice::replay_options replay;
      replay.attempts = sluice::replay_attempts::reset;
      replay.quarantined = sluice::replay_quarantined::force;
      (void)w.eng.replay_dead_letters({}, replay);
    }
    if (second % 5 == 0 && !draining) {
      const char* queues[] = {"orders", "payments", "shipping", "notifications"};
      (void)w.eng.scale(queues[random() % 4], 2 + random() % 14);
      auto [ec, report] = co_await w.eng.async_snapshot(asio::as_tuple(asio::use_awaitable));
      (void)ec;
      (void)report;
    }
    const bool done = draining ? empty : (steady::now() >= w.until && w.in_flight_enqueues.load() == 0);
    if (done) break;
  }
  finished();
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 6) {
    std::fprintf(stderr, "usage: sluice_soak_child DATA_DIR EVENTS_FILE FIRST_ORDER SECONDS RATE [--drain]\n");
    return 2;
  }
  const std::string data_dir = argv[1];
  events_fd = ::open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (events_fd < 0) throw std::runtime_error(std::string("cannot open ") + argv[2]);
  const long first = std::strtol(argv[3], nullptr, 10);
  const long seconds = std::strtol(argv[4], nullptr, 10);
  const double rate = std::strtod(argv[5], nullptr);
  const bool draining = argc > 6 && std::string(argv[6]) == "--drain";

  asio::io_context ioc(2);
  sluice::engine_options options;
  options.persistence.data_dir = data_dir;
  options.log = [](sluice::log_level level, std::string_view line) {
    if (level >= sluice::log_level::warn)
      std::fprintf(stderr, "soak child: %.*s\n", static_cast<int>(line.size()), line.data());
  };
  sluice::engine eng(ioc.get_executor(), options);
  orderflow::chain_figures figures;
  figures.on_notified = [](long id) { emit("done " + std::to_string(id)); };
  sluice::queue_options q;
  q.min_workers = 2;
  q.max_workers = 16;
  q.capacity = 20'000;
  q.dead_letter_capacity = 1'000'000;
  orderflow::failure_rates rates;
  rates.transient = 0.05;
  rates.permanent = 0.02;
  if (auto ec = orderflow::register_chain(eng, q, rates, figures)) throw std::runtime_error(ec.message());
  if (auto ec = eng.start()) throw std::runtime_error("start: " + ec.message());

  workload w{eng, data_dir, first, rate, steady::now() + std::chrono::seconds(seconds)};
  auto stop = [&] {
    eng.async_stop(10s, [](boost::system::error_code ec) {
      if (!ec) emit("stopped");
    });
  };
  if (!draining) asio::co_spawn(ioc, produce(w), asio::detached);
  asio::co_spawn(ioc, operate(w, draining, stop), asio::detached);
  std::thread other([&] { ioc.run(); });
  ioc.run();
  other.join();
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "sluice_soak_child: %s\n", e.what());
  return 1;
}
