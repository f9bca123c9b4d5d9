// An application that embeds sluice from its installed package (samples/consumer/CMakeLists.txt):
// a durable queue in a data directory of its own, a typed message and its handler, enqueues that
// complete once durable, and the engine's metrics as Prometheus text (sluice::adapters).
// Prints what it did and exits 0; the test command runs it (test/package/consumer_test.sh).
#include <sluice/metrics/prometheus_text.hpp>
#include <sluice/sluice.hpp>
#include <sluice/version.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

namespace asio = boost::asio;

struct invoice {
  static constexpr std::string_view message_type = "billing.invoice";
  std::string customer;
  int cents = 0;
};

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const invoice& i) {
  v = {{"customer", i.customer}, {"cents", i.cents}};
}
invoice tag_invoke(boost::json::value_to_tag<invoice>, const boost::json::value& v) {
  return {boost::json::value_to<std::string>(v.at("customer")), boost::json::value_to<int>(v.at("cents"))};
}

int main(int argc, char** argv) {
  const auto linked = sluice::version();
  std::cout << "sluice " << linked.text << " (headers " << SLUICE_VERSION_STRING << "), journal format "
            << linked.journal_format << ", snapshot format " << linked.snapshot_format << "\n";
  if (linked.major != SLUICE_VERSION_MAJOR || linked.minor != SLUICE_VERSION_MINOR) {
    std::cerr << "built against other headers than the library it runs with\n";
    return 1;
  }

  const std::filesystem::path dir =
      argc > 1 ? std::filesystem::path(argv[1]) : std::filesystem::temp_directory_path() / "sluice-consumer-data";
  std::filesystem::remove_all(dir);
  constexpr int invoices = 100;

  asio::io_context ioc;
  sluice::engine_options options;
  options.persistence.data_dir = dir.string();
  sluice::engine eng(ioc.get_executor(), options);
  int handled = 0;
  long total = 0;
  auto bill = [&](invoice i, sluice::context&) -> asio::awaitable<void> {
    total += i.cents;
    if (++handled == invoices) eng.async_stop(std::chrono::seconds(5), [](boost::system::error_code) {});
    co_return;
  };
  if (auto ec = eng.handle<invoice>("invoices", bill)) return std::cerr << ec.message() << "\n", 1;
  if (auto ec = eng.start()) return std::cerr << "start: " << ec.message() << "\n", 1;

  int durable = 0;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        for (int n = 1; n <= invoices; ++n) {
          const invoice i{"customer-" + std::to_string(n), n};             // a local: see docs/api.md on g++ 12
          co_await eng.async_enqueue("invoices", i, asio::use_awaitable);  // returns once durable
          ++durable;
        }
      },
      asio::detached);
  ioc.run();  // returns once the engine has stopped

  const std::string metrics = sluice::metrics::prometheus_text(eng.stats());
  std::cout << durable << " invoices enqueued durably, " << handled << " handled, " << total << " cents; "
            << metrics.size() << " bytes of metrics\n";
  std::filesystem::remove_all(dir);
  const bool ok = durable == invoices && handled == invoices && total == invoices * (invoices + 1) / 2 &&
                  metrics.find("sluice_") != std::string::npos;
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
