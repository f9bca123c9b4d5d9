// Group commit: concurrent submitters share batches (one fsync for many), completions arrive in
// LSN order on the application's executor, a "written" submission completes while the sync that
// will make it durable still runs (and the writer goes on writing meanwhile), a failed batch fails exactly its
// submissions with disk_full or io_error and the writer serves again afterwards, and what was acknowledged is what
// recovery reads back. Runs against the simulated disk and, once, against the real file system.
#include "sluice/persist/group_commit.hpp"
#include "../../forwarding_fs.hpp"
#include "../../print.hpp"
#include "sluice/error.hpp"
#include "sluice/fs/simulated_disk.hpp"
#include "sluice/journal/journal_recovery.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace fs = sluice::fs;
namespace j = sluice::journal;
using boost::system::error_code;
using sluice::persist::group_commit;
using sluice::persist::owned_entry;

namespace {

j::writer_options options_for(const std::string& dir) {
  j::writer_options o;
  o.dir = dir;
  o.segment_bytes = 1U << 20;
  return o;
}

std::vector<owned_entry> one(std::string payload) {
  std::vector<owned_entry> v;
  v.push_back({j::record_type::enqueue, std::move(payload)});
  return v;
}

// Wraps a file system so that fdatasync blocks until the test opens the gate.
class gated_fs final : public sluice_test::forwarding_fs {
 public:
  using forwarding_fs::forwarding_fs;
  void close_gate() {
    std::lock_guard lock(mutex_);
    open_ = false;
  }
  void open_gate() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    changed_.notify_all();
  }
  [[nodiscard]] int waiting() {
    std::lock_guard lock(mutex_);
    return waiting_;
  }
  void pass() {
    std::unique_lock lock(mutex_);
    ++waiting_;
    changed_.wait(lock, [&] { return open_; });
    --waiting_;
  }

 private:
  class gated_file final : public sluice_test::forwarding_file {
   public:
    gated_file(std::unique_ptr<fs::file> f, gated_fs& gate) : forwarding_file(std::move(f)), gate_(gate) {}
    fs::error_code sync_data() override {
      gate_.pass();
      return forwarding_file::sync_data();
    }

   private:
    gated_fs& gate_;
  };
  std::unique_ptr<fs::file> wrap(std::unique_ptr<fs::file> f) override {
    return std::make_unique<gated_file>(std::move(f), *this);
  }
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = true;
  int waiting_ = 0;
};

// Runs the application's context until `done()` holds (completions come from the I/O threads).
template <class Done>
void run_until(asio::io_context& app, Done done) {
  while (!done()) {
    app.restart();
    app.run_for(std::chrono::milliseconds(1));
  }
}

struct results {
  std::mutex mutex;
  std::vector<std::pair<error_code, std::uint64_t>> done;
  std::atomic<int> count{0};
};

}  // namespace

BOOST_AUTO_TEST_SUITE(group_commit_suite)

BOOST_AUTO_TEST_CASE(concurrent_submissions_share_fsyncs_and_complete_in_lsn_order) {
  fs::simulated_disk disk;
  BOOST_REQUIRE(!disk.create_dir("/j"));
  asio::thread_pool app(2);
  constexpr int producers = 4, per_producer = 2'000;
  results r;
  {
    group_commit gc(disk, options_for("/j"), 1, app.get_executor());
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
      threads.emplace_back([&, p] {
        for (int i = 0; i < per_producer; ++i) {
          gc.submit(one("p" + std::to_string(p) + "-" + std::to_string(i)), [&](error_code ec, std::uint64_t lsn) {
            std::lock_guard lock(r.mutex);
            r.done.emplace_back(ec, lsn);
            r.count.fetch_add(1);
          });
        }
      });
    }
    for (auto& t : threads) t.join();
    gc.stop();
    app.join();
    const auto s = gc.stats();
    BOOST_TEST(s.submissions == static_cast<std::uint64_t>(producers * per_producer));
    BOOST_TEST(s.batches < s.submissions);             // grouping happened
    BOOST_TEST(gc.writer_stats().syncs <= s.batches);  // a sync covers every batch written before it
    BOOST_TEST(s.syncs > 0U);
    BOOST_TEST_MESSAGE(s.submissions << " submissions in " << s.batches << " batches (largest " << s.largest_batch
                                     << ")");
  }
  BOOST_REQUIRE(r.count.load() == producers * per_producer);
  std::vector<std::uint64_t> lsns;
  for (const auto& [ec, lsn] : r.done) {
    BOOST_TEST_REQUIRE(!ec);
    lsns.push_back(lsn);
  }
  std::sort(lsns.begin(), lsns.end());
  for (std::size_t i = 0; i < lsns.size(); ++i) BOOST_TEST_REQUIRE(lsns[i] == i + 1);  // every LSN once
  std::string detail;
  auto rec = j::recover(disk, "/j", {}, detail);
  BOOST_REQUIRE(rec.has_value());
  BOOST_TEST(rec->records.size() == static_cast<std::size_t>(producers * per_producer));
}

BOOST_AUTO_TEST_CASE(a_full_disk_fails_its_batch_with_disk_full_and_service_resumes) {
  fs::simulated_disk disk;
  BOOST_REQUIRE(!disk.create_dir("/j"));
  asio::io_context app;
  group_commit gc(disk, options_for("/j"), 1, app.get_executor());
  std::vector<error_code> outcomes;
  auto submit_and_wait = [&](const std::string& p) {
    bool done = false;
    gc.submit(one(p), [&](error_code ec, std::uint64_t) {
      outcomes.push_back(ec);
      done = true;
    });
    while (!done) {
      app.restart();
      app.run_one();
    }
  };
  submit_and_wait("a");
  disk.fail(fs::op_kind::write, 1, ENOSPC, /*persistent=*/true);
  submit_and_wait("b");
  submit_and_wait("c");
  disk.clear_faults();
  submit_and_wait("d");
  disk.fail(fs::op_kind::sync, 1, EIO, false);
  submit_and_wait("e");
  submit_and_wait("f");
  gc.stop();
  BOOST_REQUIRE(outcomes.size() == 6U);
  BOOST_TEST(!outcomes[0]);
  BOOST_TEST(outcomes[1] == sluice::errc::disk_full);
  BOOST_TEST(outcomes[2] == sluice::errc::disk_full);
  BOOST_TEST(!outcomes[3]);
  BOOST_TEST(outcomes[4] == sluice::errc::io_error);
  BOOST_TEST(!outcomes[5]);
  std::string detail;
  auto rec = j::recover(disk, "/j", {}, detail);
  BOOST_REQUIRE(rec.has_value());
  std::vector<std::string> got;
  for (const auto& x : rec->records) got.push_back(x.payload);
  BOOST_TEST(got == (std::vector<std::string>{"a", "d", "f"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_written_submission_completes_while_the_sync_runs_and_writing_goes_on) {
  fs::simulated_disk disk;
  BOOST_REQUIRE(!disk.create_dir("/j"));
  gated_fs gate(disk);
  asio::io_context app;
  group_commit gc(gate, options_for("/j"), 1, app.get_executor());
  // The first batch's segment header is synced by the writer before the gate closes.
  bool first = false;
  gc.submit(one("first"), [&](error_code ec, std::uint64_t) { first = !ec; });
  run_until(app, [&] { return first; });
  gate.close_gate();
  bool durable = false;
  gc.submit(one("enqueue"), [&](error_code ec, std::uint64_t) { durable = !ec; });
  while (gate.waiting() == 0) std::this_thread::yield();  // its sync is running, and stays
  // Written while that sync runs: the written completion comes, the durable one waits.
  std::uint64_t checkout_lsn = 0;
  bool flushed = false;
  gc.submit(
      one("checkout"), [&](error_code ec, std::uint64_t lsn) { checkout_lsn = ec ? 0 : lsn; },
      sluice::persist::completes::written);
  gc.submit({}, [&](error_code ec, std::uint64_t) { flushed = !ec; });
  run_until(app, [&] { return checkout_lsn != 0; });
  BOOST_TEST(checkout_lsn == 3U);
  BOOST_TEST(!durable);
  BOOST_TEST(!flushed);
  gate.open_gate();
  run_until(app, [&] { return durable && flushed; });
  gc.stop();
  std::string detail;
  auto rec = j::recover(disk, "/j", {}, detail);
  BOOST_REQUIRE(rec.has_value());
  BOOST_TEST(rec->records.size() == 3U);
}

BOOST_AUTO_TEST_CASE(a_failed_sync_fails_the_durable_submissions_written_before_it_and_a_later_flush) {
  fs::simulated_disk disk;
  BOOST_REQUIRE(!disk.create_dir("/j"));
  gated_fs gate(disk);
  asio::io_context app;
  group_commit gc(gate, options_for("/j"), 1, app.get_executor());
  int settled = 0;
  error_code a_ec, flush_ec;
  bool b_written = false;
  gc.submit(one("ok"), [&](error_code, std::uint64_t) { ++settled; });
  run_until(app, [&] { return settled == 1; });
  gate.close_gate();
  disk.fail(fs::op_kind::sync, 1, EIO, false);
  gc.submit(one("a"), [&](error_code ec, std::uint64_t) {
    a_ec = ec;
    ++settled;
  });
  while (gate.waiting() == 0) std::this_thread::yield();  // a's sync is held; it will fail
  gc.submit(
      one("b-checkout"), [&](error_code ec, std::uint64_t) { b_written = !ec; }, sluice::persist::completes::written);
  run_until(app, [&] { return b_written; });  // written beside the failing sync
  gc.submit({}, [&](error_code ec, std::uint64_t) {
    flush_ec = ec;
    ++settled;
  });
  gate.open_gate();
  run_until(app, [&] { return settled == 3; });
  BOOST_TEST(a_ec == sluice::errc::io_error);
  BOOST_TEST(flush_ec == sluice::errc::io_error);  // b's batch, which it waits for, was lost
  bool after = false;
  gc.submit(one("after"), [&](error_code ec, std::uint64_t) { after = !ec; });
  run_until(app, [&] { return after; });
  gc.stop();
  for (auto model : {fs::damage::process_crash, fs::damage::lose_unsynced}) {
    auto image = disk.image(model, 4);
    std::string detail;
    auto rec = j::recover(*image, "/j", {}, detail);
    BOOST_REQUIRE(rec.has_value());
    std::vector<std::string> got;
    for (const auto& x : rec->records) got.push_back(x.payload);
    BOOST_TEST(got == (std::vector<std::string>{"ok", "after"}), boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(submissions_after_stop_fail_with_shutting_down) {
  fs::simulated_disk disk;
  BOOST_REQUIRE(!disk.create_dir("/j"));
  asio::io_context app;
  group_commit gc(disk, options_for("/j"), 1, app.get_executor());
  gc.stop();
  error_code got;
  gc.submit(one("late"), [&](error_code ec, std::uint64_t) { got = ec; });
  app.run();
  BOOST_TEST(got == sluice::errc::shutting_down);
}

BOOST_AUTO_TEST_CASE(on_the_real_file_system) {
  const auto dir = std::filesystem::temp_directory_path() / ("sluice-gc-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  asio::thread_pool app(1);
  std::atomic<int> ok{0};
  {
    group_commit gc(fs::posix(), options_for(dir.string()), 1, app.get_executor());
    for (int i = 0; i < 500; ++i) {
      gc.submit(one(std::string(256, 'x')), [&](error_code ec, std::uint64_t) { ok += ec ? 0 : 1; });
    }
    gc.stop();
    app.join();
    BOOST_TEST_MESSAGE("500 x 256 B on " << dir << ": " << gc.stats().batches << " fdatasyncs");
  }
  BOOST_TEST(ok.load() == 500);
  std::string detail;
  auto rec = j::recover(fs::posix(), dir.string(), {}, detail);
  BOOST_REQUIRE(rec.has_value());
  BOOST_TEST(rec->records.size() == 500U);
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
