// OrderFlow demo: pushes a workload of orders through a chain of three handlers
// (order -> payment -> notification) on a multi-threaded io_context, shows progress, and prints
// a summary: messages/s, enqueue-to-handler latency per queue, end-to-end chain latency, failures.
// Messages are durable in a data directory (default ./orderflow-data): kill the demo and run it
// again, and it first finishes what the killed run left, then runs its own orders.
//
// The admin API (health, /metrics, dead letters, replay, purge) listens on 127.0.0.1:8080 while it
// runs; SLUICE_ADMIN_TOKEN enables the mutating endpoints; --serve keeps it up after the load.
//
//   sluice_orderflow [--orders N] [--threads T] [--workers W] [--decline-every K] [--capacity C]
//                    [--data-dir DIR | --in-memory] [--admin-port P (0: off)] [--serve]
#include "orderflow_messages.hpp"

#include <sluice/http/admin_server.hpp>
#include <sluice/sluice.hpp>
#include <sluice/stats/latency_histogram.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <unistd.h>
#include <atomic>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

struct settings {
  long orders = 100'000;
  int threads = 2;
  std::size_t workers = 32;   // a durable checkout waits for its fsync: many workers share each one
  long decline_every = 1000;  // every K-th payment is declined (0 = never)
  std::size_t capacity = 10'000;
  std::string data_dir = "orderflow-data";  // empty: in memory
  std::uint16_t admin_port = 8080;          // 0: no admin API
  bool serve = false;                       // keep serving the admin API after the load
};

struct demo_state {
  demo_state(const settings& s, sluice::engine& e, asio::steady_timer& t) : config(s), eng(e), progress_timer(t) {}
  const settings& config;
  sluice::engine& eng;
  asio::steady_timer& progress_timer;
  std::atomic<long> enqueued{0};
  std::atomic<long> notified{0};
  std::atomic<long> declined{0};
  std::atomic<long> settled{0};  // orders whose chain ended (notified or declined)
  std::atomic<long> producers_left{0};
  std::function<void()> on_finished;  // the load is done: stop (or keep serving)
  std::atomic<steady::rep> finished_at{0};
  const steady::rep started_at = steady::now().time_since_epoch().count();
  sluice::latency_histogram end_to_end;  // order enqueued -> notification handled (this run's orders)

  // Called once per chain when it ends (orders a killed earlier run left included).
  void settle_one() { settled.fetch_add(1, std::memory_order_relaxed); }

  // Done when this run's orders are all enqueued and no queue holds a message any more.
  [[nodiscard]] bool finished() const {
    if (producers_left.load() != 0) return false;
    for (const auto& q : eng.stats().queues) {
      if (q.pending + q.in_flight + q.scheduled != 0) return false;
    }
    return true;
  }
};

asio::awaitable<void> handle_order(orderflow::order_placed o, sluice::context& ctx) {
  if (o.quantity <= 0) throw std::invalid_argument("order " + std::to_string(o.id) + " has no items");
  const orderflow::payment_requested pay{o.id, o.quantity * o.unit_price_cents, o.placed_at_ns};
  co_await ctx.async_enqueue("payments", pay, asio::use_awaitable);
}

asio::awaitable<void> handle_payment(demo_state& st, orderflow::payment_requested p, sluice::context& ctx) {
  if (st.config.decline_every > 0 && p.order_id % st.config.decline_every == st.config.decline_every - 1) {
    st.declined.fetch_add(1, std::memory_order_relaxed);
    st.settle_one();
    // A declined card will not succeed on retry: permanent, straight to the dead-letter queue.
    throw sluice::permanent_error("card declined for order " + std::to_string(p.order_id));
  }
  const orderflow::notification_requested note{p.order_id, "payment received", p.placed_at_ns};
  co_await ctx.async_enqueue("notifications", note, asio::use_awaitable);
}

asio::awaitable<void> handle_notification(demo_state& st, orderflow::notification_requested n, sluice::context&) {
  const auto now = steady::now().time_since_epoch();
  // Orders from a killed earlier run carry another process's clock: no latency for them.
  if (n.placed_at_ns >= st.started_at) st.end_to_end.record(std::chrono::nanoseconds(now.count() - n.placed_at_ns));
  st.notified.fetch_add(1, std::memory_order_relaxed);
  st.settle_one();
  co_return;
}

asio::awaitable<void> produce(sluice::engine& eng, demo_state& st, long first, long count) {
  for (long i = first; i < first + count; ++i) {
    const orderflow::order_placed o{i, "sku-" + std::to_string(i % 97), 1 + static_cast<int>(i % 3), 1999,
                                    steady::now().time_since_epoch().count()};
    auto [ec, id] = co_await eng.async_enqueue("orders", o, asio::as_tuple(asio::use_awaitable));
    if (ec) {
      std::fprintf(stderr, "enqueue failed: %s\n", ec.message().c_str());
      break;
    }
    st.enqueued.fetch_add(1, std::memory_order_relaxed);
  }
  st.producers_left.fetch_sub(1);
}

asio::awaitable<void> report_progress(demo_state& st) {
  const bool tty = isatty(fileno(stdout)) != 0;
  long last = 0;
  auto last_at = steady::now();
  for (;;) {
    if (st.finished()) {
      st.finished_at.store(steady::now().time_since_epoch().count());
      st.on_finished();
      break;
    }
    st.progress_timer.expires_after(tty ? 250ms : 1s);
    auto [ec] = co_await st.progress_timer.async_wait(asio::as_tuple(asio::use_awaitable));
    const long done = st.settled.load();
    const auto now = steady::now();
    const double rate = static_cast<double>(done - last) / std::chrono::duration<double>(now - last_at).count();
    last = done;
    last_at = now;
    if (!ec) {
      std::printf("%sorders enqueued %ld/%ld, completed %ld (%.0f orders/s)%s", tty ? "\r" : "", st.enqueued.load(),
                  st.config.orders, done, rate, tty ? "   " : "\n");
      std::fflush(stdout);
    }
  }
  std::printf("%sorders enqueued %ld/%ld, completed %ld\n", tty ? "\r" : "", st.enqueued.load(), st.config.orders,
              st.settled.load());
}

double ms(std::chrono::nanoseconds d) { return std::chrono::duration<double, std::milli>(d).count(); }
double us(std::chrono::nanoseconds d) { return std::chrono::duration<double, std::micro>(d).count(); }

void print_summary(const sluice::engine& eng, const demo_state& st, steady::time_point start) {
  const std::chrono::duration<double> elapsed = steady::time_point(steady::duration(st.finished_at.load())) - start;
  const auto s = eng.stats();
  std::uint64_t handled = 0;
  std::uint64_t failed = 0;
  for (const auto& q : s.queues) handled += q.processed + q.failed, failed += q.failed;
  std::printf("\nOrderFlow summary\n");
  std::printf("  orders            %ld in %.2f s\n", st.config.orders, elapsed.count());
  std::printf("  messages handled  %llu (%.0f messages/s across order, payment, notification)\n",
              static_cast<unsigned long long>(handled), static_cast<double>(handled) / elapsed.count());
  std::printf("  failures          %llu (declined payments: %ld, dead letters: %zu)\n",
              static_cast<unsigned long long>(failed), st.declined.load(), eng.dead_letters({}, SIZE_MAX).size());
  std::printf("\n  %-14s %10s %10s %12s %12s %12s\n", "queue", "processed", "failed", "wait p50", "wait p99",
              "handler p99");
  for (const auto& q : s.queues) {
    std::printf("  %-14s %10llu %10llu %9.1f us %9.1f us %9.1f us\n", q.name.c_str(),
                static_cast<unsigned long long>(q.processed), static_cast<unsigned long long>(q.failed),
                us(q.queue_wait.p50), us(q.queue_wait.p99), us(q.processing.p99));
  }
  const auto e2e = st.end_to_end.summarize();
  std::printf("\n  'wait' is enqueue-to-handler-start latency, including time spent queued behind the burst.\n");
  std::printf("  whole chain (order enqueued -> notification handled): p50 %.2f ms, p99 %.2f ms\n", ms(e2e.p50),
              ms(e2e.p99));
  for (const auto& q : s.queues) {
    if (!q.recent_failures.empty()) {
      const auto& f = q.recent_failures.front();
      std::printf("  last failure on %s: %s: %s\n", q.name.c_str(), f.cause.error_type.c_str(), f.cause.what.c_str());
    }
  }
}

bool parse_flag(const char* arg, const char* name, const char* value, auto& out) {
  if (std::strcmp(arg, name) != 0) return false;
  if (!value) throw std::invalid_argument(std::string(name) + " needs a value");
  const auto* end = value + std::strlen(value);
  auto [p, ec] = std::from_chars(value, end, out);
  if (ec != std::errc{} || p != end) throw std::invalid_argument(std::string(name) + ": not a number: " + value);
  return true;
}

settings parse(int argc, char** argv) {
  settings s;
  for (int i = 1; i < argc; ++i) {
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    if (parse_flag(argv[i], "--orders", v, s.orders) || parse_flag(argv[i], "--threads", v, s.threads) ||
        parse_flag(argv[i], "--workers", v, s.workers) || parse_flag(argv[i], "--decline-every", v, s.decline_every) ||
        parse_flag(argv[i], "--capacity", v, s.capacity)) {
      ++i;
    } else if (std::strcmp(argv[i], "--data-dir") == 0) {
      if (!v || *v == '\0') throw std::invalid_argument("--data-dir needs a directory");
      s.data_dir = v;
      ++i;
    } else if (std::strcmp(argv[i], "--in-memory") == 0) {
      s.data_dir.clear();
    } else if (parse_flag(argv[i], "--admin-port", v, s.admin_port)) {
      ++i;
    } else if (std::strcmp(argv[i], "--serve") == 0) {
      s.serve = true;
    } else {
      throw std::invalid_argument(std::string("unknown option ") + argv[i] +
                                  " (options: --orders --threads --workers --decline-every --capacity --data-dir "
                                  "--in-memory --admin-port --serve)");
    }
  }
  if (s.orders <= 0 || s.threads <= 0 || s.workers == 0 || s.capacity == 0 || s.decline_every < 0) {
    throw std::invalid_argument("--orders, --threads, --workers and --capacity must be positive");
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) try {
  const settings config = parse(argc, argv);
  asio::io_context ioc(config.threads);
  sluice::engine_options options;
  options.persistence.data_dir = config.data_dir;
  options.log = [](sluice::log_level level, std::string_view line) {
    // Warnings, errors and the recovery summary; never payloads.
    if (level >= sluice::log_level::warn || line.starts_with("recovered"))
      std::fprintf(stderr, "sluice: %.*s\n", static_cast<int>(line.size()), line.data());
  };
  sluice::engine eng(ioc.get_executor(), options);
  asio::steady_timer progress_timer(ioc);
  demo_state st(config, eng, progress_timer);
  sluice::queue_options q;
  q.capacity = config.capacity;
  q.min_workers = config.workers;
  q.max_workers = std::max<std::size_t>(config.workers, 16);
  for (const char* name : {"orders", "payments", "notifications"}) {
    if (auto ec = eng.declare_queue(name, q))
      throw std::runtime_error(std::string("declare ") + name + ": " + ec.message());
  }
  auto check = [](boost::system::error_code ec) {
    if (ec) throw std::runtime_error("handler registration: " + ec.message());
  };
  check(eng.handle<orderflow::order_placed>(
      "orders", [](orderflow::order_placed o, sluice::context& c) { return handle_order(std::move(o), c); }));
  check(eng.handle<orderflow::payment_requested>(
      "payments", [&st](orderflow::payment_requested p, sluice::context& c) { return handle_payment(st, p, c); }));
  check(eng.handle<orderflow::notification_requested>("notifications",
                                                      [&st](orderflow::notification_requested n, sluice::context& c) {
                                                        return handle_notification(st, std::move(n), c);
                                                      }));
  check(eng.start());

  std::printf("OrderFlow: %ld orders through order -> payment -> notification, %d threads, %zu workers per queue\n",
              config.orders, config.threads, config.workers);
  std::printf("  %s\n", config.data_dir.empty() ? "in memory (--in-memory): nothing survives the process"
                                                : ("durable in " + config.data_dir +
                                                   "/ (fsync before every acknowledgement; kill it and run again)")
                                                      .c_str());
  std::unique_ptr<sluice::http::admin_server> admin;
  if (config.admin_port != 0) {
    sluice::http::admin_server_options ao;
    ao.port = config.admin_port;
    if (const char* token = std::getenv("SLUICE_ADMIN_TOKEN")) ao.admin.token = token;
    admin = std::make_unique<sluice::http::admin_server>(eng, ioc.get_executor(), ao);
    if (auto ec = admin->listen()) {
      std::fprintf(stderr, "  admin API not started on 127.0.0.1:%u: %s (going on without it)\n",
                   static_cast<unsigned>(config.admin_port), ec.message().c_str());
      admin.reset();
    } else {
      std::printf("  admin API: http://127.0.0.1:%u/healthz  /metrics  /api/dead-letters%s\n",
                  static_cast<unsigned>(admin->port()),
                  ao.admin.token.empty() ? "  (read-only: set SLUICE_ADMIN_TOKEN to replay and purge)" : "");
    }
  }
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  std::once_flag shut_once;
  auto shut_down = [&] {
    std::call_once(shut_once, [&] {
      asio::post(signals.get_executor(), [&] { signals.cancel(); });
      eng.async_stop(5s, [](boost::system::error_code) {});
      if (admin) admin->stop();
    });
  };
  st.on_finished = [&] {
    if (!config.serve || !admin) return shut_down();
    std::printf("\nload done; serving the admin API on 127.0.0.1:%u until Ctrl-C\n",
                static_cast<unsigned>(admin->port()));
    std::fflush(stdout);
  };
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (!ec) shut_down();
  });
  const auto start = steady::now();
  const int producers = 4;
  st.producers_left.store(producers);
  for (int p = 0; p < producers; ++p) {
    const long share = config.orders / producers + (p < config.orders % producers ? 1 : 0);
    const long first = p * (config.orders / producers) + std::min<long>(p, config.orders % producers);
    asio::co_spawn(ioc, produce(eng, st, first, share), asio::detached);
  }
  asio::co_spawn(ioc, report_progress(st), asio::detached);
  std::vector<std::thread> threads;
  for (int t = 1; t < config.threads; ++t) threads.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
  print_summary(eng, st, start);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "sluice_orderflow: %s\n", e.what());
  return 2;
}
