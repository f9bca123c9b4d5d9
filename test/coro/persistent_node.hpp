// A test engine "process" with persistence on a simulated disk that outlives it: the engine,
// its io_context and manual clock, one queue ("jobs") whose handler records every run and can
// hang or fail on request, and helpers that wait for durable acknowledgements.
#pragma once

#include "test_support.hpp"

#include <sluice/fs/simulated_disk.hpp>

#include <boost/test/unit_test.hpp>

#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace sluice_test {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using boost::system::error_code;

// One engine process: its own io_context and clock, over a disk that outlives it.
struct node {
  sluice::manual_clock clock;
  asio::io_context ioc;
  std::unique_ptr<sluice::engine> eng;
  std::map<int, std::vector<std::uint32_t>> runs;  // order id -> attempts seen
  std::vector<int> sequence;                       // order ids in the order their handlers started
  std::set<int> hang;                              // order ids whose handler waits on `gate`
  std::set<int> fail_permanently;
  std::function<void(int)> on_start;
  gate g{ioc};

  mutable std::mutex logs_mutex;
  std::vector<std::string> logs;  // what the engine logged (the snapshot thread logs too)

  node(sluice::fs::file_system& disk, sluice::durability mode = sluice::durability::fsync,
       std::uint32_t max_retries = 2, const std::function<void(sluice::engine_options&)>& configure = {}) {
    auto o = manual_options(clock);
    o.log = [this](sluice::log_level, std::string_view line) {
      const std::lock_guard lock(logs_mutex);
      logs.emplace_back(line);
    };
    clock.set(sluice::sys_time(std::chrono::hours(24 * 365 * 50)));
    o.persistence.data_dir = "/data";
    o.persistence.file_system = &disk;
    o.persistence.mode = mode;
    o.default_handler = fixed_backoff(max_retries, 10ms);
    o.default_handler.timeout = 0ms;
    if (configure) configure(o);
    eng = std::make_unique<sluice::engine>(ioc.get_executor(), o);
    BOOST_REQUIRE(!eng->handle<order>("jobs", [this](order o, sluice::context& ctx) -> asio::awaitable<void> {
      runs[o.id].push_back(ctx.attempt());
      sequence.push_back(o.id);
      if (on_start) on_start(o.id);
      if (fail_permanently.contains(o.id)) throw sluice::permanent_error("invalid order");
      if (hang.contains(o.id)) co_await g.wait_ignoring_cancellation();
    }));
  }
  ~node() {
    g.open();
    if (started) stop_engine(*eng, ioc);
  }
  error_code start() {
    auto ec = eng->start();
    started = !ec;
    if (started) settle();
    return ec;
  }
  // Enqueues and waits for the durable acknowledgement.
  error_code enqueue(int id, sluice::enqueue_options o = {}) {
    std::optional<error_code> result;
    const order value{id, "x"};
    eng->async_enqueue("jobs", value, o, [&](error_code ec, sluice::message_id) { result = ec; });
    // The completion comes from the journal's writer thread; it keeps the context's work count,
    // so run_one() waits for it.
    while (!result) {
      ioc.restart();
      if (ioc.run_one() == 0) break;
    }
    BOOST_REQUIRE(result.has_value());
    return *result;
  }
  sluice::queue_stats q() { return queue(eng->stats(), "jobs"); }
  // Takes a snapshot and waits for it.
  boost::system::result<sluice::snapshot_report> snapshot() {
    std::optional<boost::system::result<sluice::snapshot_report>> out;
    eng->async_snapshot([&](error_code ec, sluice::snapshot_report r) {
      if (ec) {
        out = ec;
      } else {
        out = r;
      }
    });
    while (!out) {
      ioc.restart();
      if (ioc.run_one() == 0) break;
    }
    BOOST_REQUIRE(out.has_value());
    return *out;
  }
  [[nodiscard]] bool logged(std::string_view text) const {
    const std::lock_guard lock(logs_mutex);
    for (const auto& l : logs) {
      if (l.find(text) != std::string::npos) return true;
    }
    return false;
  }
  // Runs handlers until nothing is ready and the journal has nothing in flight.
  void settle() {
    for (int i = 0; i < 1'000'000; ++i) {
      const bool idle_journal = eng->stats().journal.pending == 0;  // read before polling: see pending()
      ioc.restart();
      if (ioc.poll() == 0 && idle_journal) return;
      if (!idle_journal) std::this_thread::yield();
    }
    BOOST_FAIL("the engine did not settle");
  }
  bool started = false;
};

inline std::unique_ptr<sluice::fs::simulated_disk> new_disk() { return std::make_unique<sluice::fs::simulated_disk>(); }

}  // namespace sluice_test
