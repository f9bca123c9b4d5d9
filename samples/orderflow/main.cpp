// OrderFlow: the demo service. An HTTP service on Boost.Asio/Beast that embeds the engine with
// its messages durable in a data directory (default ./orderflow-data):
//   POST /orders places an order; handlers chain payment -> shipping -> notification, with
//   injected transient faults (retried) and declined cards (dead-lettered);
//   the same port serves the dashboard (/), the admin API (/api/...), /metrics and /healthz.
// A built-in load places --orders orders at --rate per second and prints a summary with the
// dashboard URL and the CLI commands to inspect what happened; then the service keeps serving
// until Ctrl-C (or exits, with --exit-when-done). Kill it and start it again: it first finishes
// what the killed run left.
//
//   sluice_orderflow [--orders N] [--rate R (0: as fast as possible)] [--threads T] [--workers W]
//                    [--capacity C] [--transient-rate X] [--permanent-rate Y]
//                    [--data-dir DIR | --in-memory] [--port P (0: any free port) | --no-http]
//                    [--otlp URL | --no-otlp] [--trace-file F] [--exit-when-done]
// Traces go to an OTLP/HTTP collector (default http://127.0.0.1:4318/v1/traces, Jaeger's port);
// when none listens they are dropped and counted, and the orders are unaffected.
#include "handlers.hpp"
#include "load.hpp"
#include "order_api.hpp"

#include <sluice/http/admin_server.hpp>
#include <sluice/otel/otlp_exporter.hpp>
#include <sluice/sluice.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

struct settings {
  orderflow::load_plan load;
  orderflow::failure_rates faults;
  int threads = 2;
  std::size_t workers = 32;  // a durable checkout waits for its fsync: many workers share each one
  std::size_t capacity = 10'000;
  std::string data_dir = "orderflow-data";  // empty: in memory
  std::uint16_t port = 8080;                // 0: any free port (printed)
  bool http = true;
  bool exit_when_done = false;
  std::string otlp = "http://127.0.0.1:4318/v1/traces";  // empty: no traces
  std::string trace_file;                                // a copy of every OTLP body (JSON lines)
};

constexpr const char* usage =
    "usage: sluice_orderflow [--orders N] [--rate R] [--threads T] [--workers W] [--capacity C]\n"
    "                        [--transient-rate X] [--permanent-rate Y] [--data-dir DIR | --in-memory]\n"
    "                        [--port P | --no-http] [--otlp URL | --no-otlp] [--trace-file F]\n"
    "                        [--exit-when-done]\n";

template <class T>
T number(const char* name, const char* value) {
  if (!value) throw std::invalid_argument(std::string(name) + " needs a value");
  T out{};
  const auto* end = value + std::strlen(value);
  auto [p, ec] = std::from_chars(value, end, out);
  if (ec != std::errc{} || p != end) throw std::invalid_argument(std::string(name) + ": not a number: " + value);
  return out;
}

settings parse(int argc, char** argv) {
  settings s;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    bool took_value = true;
    if (a == "--orders") {
      s.load.orders = number<long>("--orders", v);
    } else if (a == "--rate") {
      s.load.per_second = number<double>("--rate", v);
    } else if (a == "--threads") {
      s.threads = number<int>("--threads", v);
    } else if (a == "--workers") {
      s.workers = number<std::size_t>("--workers", v);
    } else if (a == "--capacity") {
      s.capacity = number<std::size_t>("--capacity", v);
    } else if (a == "--transient-rate") {
      s.faults.transient = number<double>("--transient-rate", v);
    } else if (a == "--permanent-rate") {
      s.faults.permanent = number<double>("--permanent-rate", v);
    } else if (a == "--port" || a == "--admin-port") {
      s.port = number<std::uint16_t>("--port", v);
    } else if (a == "--otlp") {
      if (!v || *v == '\0') throw std::invalid_argument("--otlp needs a URL");
      s.otlp = v;
    } else if (a == "--trace-file") {
      if (!v || *v == '\0') throw std::invalid_argument("--trace-file needs a path");
      s.trace_file = v;
    } else if (a == "--data-dir") {
      if (!v || *v == '\0') throw std::invalid_argument("--data-dir needs a directory");
      s.data_dir = v;
    } else {
      took_value = false;
      if (a == "--in-memory") {
        s.data_dir.clear();
      } else if (a == "--no-otlp") {
        s.otlp.clear();
      } else if (a == "--no-http") {
        s.http = false;
      } else if (a == "--exit-when-done") {
        s.exit_when_done = true;
      } else if (a == "--help" || a == "-h") {
        std::fputs(usage, stdout);
        std::exit(0);
      } else {
        throw std::invalid_argument("unknown option " + std::string(a) + "\n" + usage);
      }
    }
    if (took_value) ++i;
  }
  if (s.load.orders < 0 || !(s.load.per_second >= 0) || s.load.per_second > 1e6 || s.threads <= 0 || s.workers == 0 ||
      s.capacity == 0)
    throw std::invalid_argument("--orders and --rate must not be negative; --threads, --workers, --capacity positive");
  for (double r : {s.faults.transient, s.faults.permanent}) {
    if (!(r >= 0 && r <= 1)) throw std::invalid_argument("failure rates are between 0 and 1");
  }
  return s;
}

// The admin token: SLUICE_ADMIN_TOKEN, or a fresh random one printed for the operator.
std::string admin_token() {
  if (const char* t = std::getenv("SLUICE_ADMIN_TOKEN"); t && *t) return t;
  std::random_device rd;
  std::string t;
  constexpr char hex[] = "0123456789abcdef";
  for (int i = 0; i < 32; ++i) t.push_back(hex[rd() % 16]);
  return t;
}

double ms(std::chrono::nanoseconds d) { return std::chrono::duration<double, std::milli>(d).count(); }

void print_summary(const sluice::engine& eng, const settings& config, const orderflow::load_progress& progress,
                   const orderflow::chain_figures& fig) {
  const std::chrono::duration<double> elapsed = progress.finished - progress.started;
  const auto s = eng.stats();
  std::uint64_t handled = 0;
  std::uint64_t failed = 0;
  for (const auto& q : s.queues) handled += q.processed + q.failed, failed += q.failed;
  std::printf("\nOrderFlow summary\n");
  std::printf("  orders            %ld in %.2f s\n", config.load.orders, elapsed.count());
  std::printf("  deliveries        %llu (%.0f/s across orders, payments, shipping, notifications)\n",
              static_cast<unsigned long long>(handled), static_cast<double>(handled) / elapsed.count());
  std::printf("  failures          %llu (injected timeouts, retried: %ld; declined cards, dead-lettered: %ld)\n",
              static_cast<unsigned long long>(failed), fig.transient_faults.load(), fig.declined.load());
  std::printf("\n  %-14s %10s %8s %8s %12s %12s\n", "queue", "processed", "failed", "dlq", "wait p99", "handler p99");
  for (const auto& q : s.queues) {
    std::printf("  %-14s %10llu %8llu %8llu %9.2f ms %9.2f ms\n", q.name.c_str(),
                static_cast<unsigned long long>(q.processed), static_cast<unsigned long long>(q.failed),
                static_cast<unsigned long long>(q.dead_letters), ms(q.queue_wait.p99), ms(q.processing.p99));
  }
  const auto e2e = fig.end_to_end.summarize();
  std::printf("\n  whole chain (order placed -> notification handled): p50 %.2f ms, p99 %.2f ms\n", ms(e2e.p50),
              ms(e2e.p99));
}

void print_traces(const sluice::otel::otlp_exporter* traces, const settings& config) {
  if (!traces) return std::printf("  traces: off (--no-otlp)\n"), void();
  const auto t = traces->stats();
  std::printf("  traces: %llu spans exported to %s, %llu dropped%s%s\n", static_cast<unsigned long long>(t.exported),
              config.otlp.c_str(), static_cast<unsigned long long>(t.dropped_failed) + t.dropped_full,
              t.last_error.empty() ? "" : " (", t.last_error.empty() ? "" : (t.last_error + ")").c_str());
  if (!config.trace_file.empty()) {
    std::printf("          a copy of every OTLP body in %s\n", config.trace_file.c_str());
  } else if (t.exported == 0) {
    std::printf(
        "          (no collector? run Jaeger with OTLP on :4318, or --trace-file traces.jsonl to keep the bodies)\n");
  }
}

void print_hints(std::uint16_t port, const std::string& token) {
  std::printf("\nOrderFlow is serving on http://127.0.0.1:%u\n", static_cast<unsigned>(port));
  std::printf("  dashboard    http://127.0.0.1:%u/   (admin token: %s)\n", static_cast<unsigned>(port), token.c_str());
  std::printf("  metrics      http://127.0.0.1:%u/metrics\n", static_cast<unsigned>(port));
  std::printf(
      "  place one    curl -X POST http://127.0.0.1:%u/orders -d '{\"sku\":\"sku-1\",\"quantity\":2,"
      "\"unit_price_cents\":1999}'\n",
      static_cast<unsigned>(port));
  std::printf("  the CLI      export SLUICE_ADMIN_TOKEN=%s SLUICE_URL=http://127.0.0.1:%u\n", token.c_str(),
              static_cast<unsigned>(port));
  std::printf("               build/release/adapters/sluice health --detailed\n");
  std::printf("               build/release/adapters/sluice list --state dlq\n");
  std::printf("               build/release/adapters/sluice replay <ID>      (or: replay --dlq --queue payments)\n");
  std::printf("  Ctrl-C stops it; messages not yet handled stay in the data directory for the next start.\n");
  std::fflush(stdout);
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
  std::unique_ptr<sluice::otel::otlp_exporter> traces;
  if (!config.otlp.empty()) {
    sluice::otel::otlp_exporter_options to;
    to.endpoint = config.otlp;
    to.service_name = "orderflow";
    to.copy_to_file = config.trace_file;
    traces = std::make_unique<sluice::otel::otlp_exporter>(ioc.get_executor(), to);
    if (traces->start()) throw std::invalid_argument("--otlp: not an http://host:port/path URL: " + config.otlp);
    options.tracing.sink = traces->sink();
  }
  sluice::engine eng(ioc.get_executor(), options);
  orderflow::chain_figures figures;
  sluice::queue_options q;
  q.capacity = config.capacity;
  q.min_workers = config.workers;
  q.max_workers = std::max<std::size_t>(config.workers, 64);
  if (auto ec = orderflow::register_chain(eng, q, config.faults, figures))
    throw std::runtime_error("setting up the queues: " + ec.message());
  if (auto ec = eng.start()) throw std::runtime_error("starting the engine: " + ec.message());

  std::printf("OrderFlow: orders -> payments -> shipping -> notifications, %d threads, %zu workers per queue\n",
              config.threads, config.workers);
  std::printf("  %s\n", config.data_dir.empty() ? "in memory (--in-memory): nothing survives the process"
                                                : ("durable in " + config.data_dir +
                                                   "/ (fsync before every acknowledgement; kill it and run again)")
                                                      .c_str());
  // Order ids continue across restarts (a data directory outlives a run): start from the clock.
  std::atomic<long> next_id{
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count() %
      1'000'000'000'000L * 1000};
  const std::string token = admin_token();
  std::unique_ptr<sluice::http::admin_server> http;
  if (config.http) {
    sluice::http::admin_server_options ao;
    ao.port = config.port;
    ao.admin.token = token;
    ao.routes = orderflow::order_routes(eng, next_id);
    http = std::make_unique<sluice::http::admin_server>(eng, ioc.get_executor(), ao);
    if (auto ec = http->listen()) {
      std::fprintf(stderr, "  HTTP not started on 127.0.0.1:%u: %s (going on without it)\n",
                   static_cast<unsigned>(config.port), ec.message().c_str());
      http.reset();
    } else {
      std::printf("  dashboard on http://127.0.0.1:%u/ while it runs (admin token: %s)\n",
                  static_cast<unsigned>(http->port()), token.c_str());
    }
  }
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  std::once_flag shut_once;
  orderflow::load_progress progress;
  auto shut_down = [&] {
    std::call_once(shut_once, [&] {
      progress.stopping.store(true);
      asio::post(signals.get_executor(), [&] { signals.cancel(); });
      eng.async_stop(5s, [&](boost::system::error_code) {
        if (traces) traces->stop();  // after the engine's last spans
      });
      if (http) http->stop();
    });
  };
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (!ec) shut_down();
  });
  std::printf("  load: %ld orders at %s\n", config.load.orders,
              config.load.per_second > 0 ? (std::to_string(static_cast<long>(config.load.per_second)) + "/s").c_str()
                                         : "full speed");
  std::fflush(stdout);
  orderflow::start_load(ioc.get_executor(), eng, config.load, next_id, progress, figures, [&] {
    print_summary(eng, config, progress, figures);
    print_traces(traces.get(), config);
    if (config.exit_when_done || !http) return shut_down();
    print_hints(http->port(), token);
  });
  std::vector<std::thread> threads;
  for (int t = 1; t < config.threads; ++t) threads.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "sluice_orderflow: %s\n", e.what());
  return 2;
}
