// I/O error loops over the persistent engine: for each kind of operation (write, fsync, open,
// directory fsync, truncate, rename, read), fail its n-th occurrence with EIO or ENOSPC, once or
// from then on, for n = 1, 2, ... until the workload no longer reaches it; fsync failures also
// in fsyncgate mode (the failed pages dropped, the next fsync "succeeding"). Each time: the
// enqueues that completed successfully are never lost, across a restart and across a power loss;
// an enqueue that completed with an error never runs, in this process or after a restart; once
// the disk is healthy again the engine serves without a restart.
#include "test_support.hpp"

#include <sluice/fs/simulated_disk.hpp>

#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <map>
#include <set>
#include <sstream>
#include <thread>

namespace asio = boost::asio;
namespace fs = sluice::fs;
using namespace sluice_test;
using namespace std::chrono_literals;
using boost::system::error_code;

namespace {

struct run_log {
  std::set<int> acked;
  std::set<int> refused;  // completed with an error: must never run
  std::set<int> ran;
};

// One engine process over `disk`, recording what ran into `log`.
struct process {
  sluice::manual_clock clock;
  asio::io_context ioc;
  std::unique_ptr<sluice::engine> eng;
  run_log& log;
  bool started = false;

  process(fs::file_system& disk, run_log& l) : log(l) {
    auto o = manual_options(clock);
    o.persistence.data_dir = "/data";
    o.persistence.file_system = &disk;
    o.persistence.segment_bytes = 2048;  // rolls, so segment creation and directory fsyncs happen
    o.default_handler = fixed_backoff(5, 10ms);
    o.default_handler.timeout = 0ms;
    eng = std::make_unique<sluice::engine>(ioc.get_executor(), o);
    BOOST_REQUIRE(!eng->handle<order>("jobs", [this](order o, sluice::context&) -> asio::awaitable<void> {
      log.ran.insert(o.id);
      co_return;
    }));
  }
  ~process() {
    if (started) stop_engine(*eng, ioc);
  }
  error_code start() {
    const auto ec = eng->start();
    started = !ec;
    if (started) settle();
    return ec;
  }
  // Runs until nothing is ready and the journal is idle; `seconds` times, moves the clock on so
  // checkouts that could not be journaled (they wait 1 s) come back. While the disk keeps
  // failing they keep coming back: hence a bound, not "until quiet".
  void settle(int seconds = 5) {
    for (int s = 0; s <= seconds; ++s) {
      for (int i = 0;; ++i) {
        BOOST_REQUIRE_MESSAGE(i < 1'000'000, "did not settle");
        const bool idle = eng->stats().journal.pending == 0;
        ioc.restart();
        if (ioc.poll() == 0 && idle) break;
        if (!idle) std::this_thread::yield();
      }
      if (s < seconds) clock.advance(1s);
    }
  }
  void enqueue(int id) {
    std::optional<error_code> result;
    const order value{id, "x"};
    eng->async_enqueue("jobs", value, [&](error_code ec, sluice::message_id) { result = ec; });
    while (!result) {
      ioc.restart();
      if (ioc.run_one() == 0) break;
    }
    BOOST_REQUIRE(result.has_value());
    if (*result) {
      BOOST_TEST_REQUIRE((*result == sluice::errc::disk_full || *result == sluice::errc::io_error),
                         "unexpected error " << result->message());
      log.refused.insert(id);
    } else {
      log.acked.insert(id);
    }
  }
};

struct fault_case {
  fs::op_kind kind;
  int err;
  bool persistent;
  bool fsyncgate;
  std::string name;
};

// Runs the workload with the fault armed; returns how many operations of that kind the fault
// rule saw (to know when n has passed the workload), and appends violations.
bool run_case(const fault_case& c, std::uint64_t n, std::vector<std::string>& violations) {
  fs::simulated_disk disk;
  disk.set_fsyncgate(c.fsyncgate);
  disk.fail(c.kind, n, c.err, c.persistent);
  run_log log;
  std::ostringstream where;
  where << c.name << " n=" << n << ": ";
  bool hit = false;
  {
    process p(disk, log);
    if (p.start()) {
      hit = true;  // the fault hit recovery or the directory setup: a clear error, then a healthy start
      disk.clear_faults();
      if (p.start()) {
        violations.push_back(where.str() + "cannot start on a healthy disk");
        return true;
      }
    }
    for (int i = 0; i < 40; ++i) p.enqueue(i);
    p.settle();
    hit |= !log.refused.empty();
    disk.clear_faults();
    for (int i = 100; i < 105; ++i) p.enqueue(i);  // the disk is healthy: the engine serves again
    p.settle();
    for (int i = 100; i < 105; ++i) {
      if (!log.acked.contains(i)) violations.push_back(where.str() + "no service after the fault cleared");
    }
  }
  for (int id : log.refused) {
    if (log.ran.contains(id)) violations.push_back(where.str() + "refused enqueue " + std::to_string(id) + " ran");
  }
  // A restart, and a power loss, keep every acknowledged enqueue: it ran before, or runs now.
  for (auto model : {fs::damage::process_crash, fs::damage::lose_unsynced}) {
    auto image = disk.image(model, n);
    run_log again;
    again.acked = log.acked;
    {
      process p(*image, again);
      if (auto ec = p.start()) {
        violations.push_back(where.str() + "restart failed: " + ec.message());
        continue;
      }
    }
    for (int id : log.refused) {
      if (again.ran.contains(id))
        violations.push_back(where.str() + "refused enqueue " + std::to_string(id) + " ran after a restart");
    }
    for (int id : log.acked) {
      if (!log.ran.contains(id) && !again.ran.contains(id)) {
        violations.push_back(where.str() + "acknowledged enqueue " + std::to_string(id) + " lost");
      }
    }
  }
  return hit;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(engine_io_faults_suite)

BOOST_AUTO_TEST_CASE(every_failing_io_operation_keeps_acknowledged_enqueues_and_refuses_the_rest) {
  const std::vector<fault_case> cases = {
      {fs::op_kind::write, ENOSPC, false, false, "write ENOSPC once"},
      {fs::op_kind::write, ENOSPC, true, false, "write ENOSPC persistent"},
      {fs::op_kind::write, EIO, false, false, "write EIO once"},
      {fs::op_kind::sync, EIO, false, false, "fsync EIO once"},
      {fs::op_kind::sync, EIO, true, false, "fsync EIO persistent"},
      {fs::op_kind::sync, EIO, false, true, "fsync EIO once, fsyncgate"},
      {fs::op_kind::open, EIO, false, false, "open EIO once"},
      {fs::op_kind::sync_dir, EIO, false, false, "directory fsync EIO once"},
      {fs::op_kind::truncate, EIO, true, false, "truncate EIO persistent"},
      {fs::op_kind::rename, EIO, false, false, "rename EIO once"},
      {fs::op_kind::read, EIO, false, false, "read EIO once"},
  };
  std::vector<std::string> violations;
  std::size_t runs = 0;
  for (const auto& c : cases) {
    for (std::uint64_t n = 1; n <= 60; ++n) {
      ++runs;
      const bool hit = run_case(c, n, violations);
      if (!hit && n > 3) break;  // past the workload's operations of this kind
    }
  }
  BOOST_TEST_MESSAGE(runs << " fault runs");
  std::ostringstream report;
  for (std::size_t i = 0; i < std::min<std::size_t>(violations.size(), 20); ++i) report << "\n  " << violations[i];
  BOOST_TEST(violations.empty(), report.str());
}

BOOST_AUTO_TEST_SUITE_END()
