// The engine's snapshots, on the simulated disk: scheduled and on-demand snapshots let the journal
// drop its old segments and a restart (a SIGKILL image) loads the snapshot and replays only what
// follows; a clean stop takes a final snapshot; a snapshot database that cannot be written (disk
// full, I/O errors) leaves enqueue and dispatch alone, keeps the journal and catches up once it
// can; async_snapshot refuses engines without snapshots.
#include "persistent_node.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cerrno>

using namespace sluice_test;

namespace {

auto small_journal(std::uint64_t every_records = 100) {
  return [every_records](sluice::engine_options& o) {
    o.persistence.segment_bytes = 4096;
    o.persistence.snapshot_every_records = every_records;
    o.persistence.snapshot_min_gap = std::chrono::milliseconds(0);
  };
}

std::size_t segments(sluice::fs::simulated_disk& disk) { return disk.list("/data/journal")->size(); }

// The oldest journal segment's name (segments are named by their first LSN).
std::string oldest_segment(sluice::fs::simulated_disk& disk) {
  auto names = *disk.list("/data/journal");
  return *std::min_element(names.begin(), names.end());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(engine_snapshot_suite)

BOOST_AUTO_TEST_CASE(snapshots_cut_the_journal_and_a_killed_engine_restarts_from_them) {
  auto disk = new_disk();
  std::unique_ptr<sluice::fs::simulated_disk> killed;
  constexpr int count = 600;
  {
    node a(*disk, sluice::durability::fsync, 2, small_journal());
    a.hang = {1};  // one worker: 1 stays in flight, the rest wait behind it
    BOOST_REQUIRE(!a.start());
    for (int i = 1; i <= count; ++i) BOOST_REQUIRE(!a.enqueue(i));
    a.settle();
    auto first = a.snapshot();
    BOOST_REQUIRE(first);
    auto second = a.snapshot();
    BOOST_REQUIRE(second);
    const auto s = a.eng->stats().snapshot;
    BOOST_TEST(s.enabled);
    BOOST_TEST(s.snapshots >= 2U);
    BOOST_TEST(s.failures == 0U);
    BOOST_TEST(s.segments_deleted > 0U);
    BOOST_TEST(s.covered_lsn >= static_cast<std::uint64_t>(count));
    BOOST_TEST(segments(*disk) <= 2U);  // ~60 KiB of journal in 4 KiB segments, cut back
    killed = disk->image(sluice::fs::damage::process_crash, 1);
  }
  node b(*killed, sluice::durability::fsync, 2, small_journal());
  BOOST_REQUIRE(!b.start());
  BOOST_TEST(b.logged("from a snapshot of " + std::to_string(count) + " rows"));
  b.settle();
  BOOST_TEST(b.runs.size() == static_cast<std::size_t>(count));
  BOOST_TEST(b.runs[1] == (std::vector<std::uint32_t>{2}), boost::test_tools::per_element());  // attempt counted
  BOOST_TEST(b.runs[count].size() == 1U);
  BOOST_TEST(b.q().pending == 0U);
}

BOOST_AUTO_TEST_CASE(a_clean_stop_takes_a_final_snapshot) {
  auto disk = new_disk();
  {
    node a(*disk, sluice::durability::fsync, 2, small_journal(1'000'000));  // never by count
    a.hang = {1};
    BOOST_REQUIRE(!a.start());
    for (int i = 1; i <= 50; ++i) BOOST_REQUIRE(!a.enqueue(i));
    a.settle();
    BOOST_TEST(a.eng->stats().snapshot.snapshots == 0U);
    BOOST_TEST(a.eng->stats().journal.enqueue_to_durable.count == 50U);  // one per durable enqueue
  }  // stopped: message 1 finished (acknowledged) first, 2..50 wait
  node b(*disk, sluice::durability::fsync, 2, small_journal(1'000'000));
  BOOST_REQUIRE(!b.start());
  // Everything came from the snapshot taken after the journal's last record.
  BOOST_TEST(b.logged("from a snapshot of 49 rows"));
  BOOST_TEST(b.logged(" and 0 journal records after it"));
  b.settle();
  BOOST_TEST(b.runs.size() == 49U);
  BOOST_TEST(!b.runs.contains(1));
}

BOOST_AUTO_TEST_CASE(a_snapshot_database_that_cannot_be_written_leaves_enqueue_and_dispatch_alone) {
  for (const int err : {ENOSPC, EIO}) {
    auto disk = new_disk();
    node a(*disk, sluice::durability::fsync, 2, small_journal(20));
    BOOST_REQUIRE(!a.start());
    for (int i = 1; i <= 10; ++i) BOOST_REQUIRE(!a.enqueue(i));
    a.settle();
    BOOST_REQUIRE(a.snapshot());
    const auto kept = oldest_segment(*disk);
    disk->fail(sluice::fs::op_kind::write, 1, err, /*persistent=*/true, ".sqlite");
    for (int i = 11; i <= 300; ++i) BOOST_REQUIRE(!a.enqueue(i));  // every enqueue durable
    a.settle();
    BOOST_TEST(a.runs.size() == 300U);  // and every message processed
    auto failed = a.snapshot();
    BOOST_REQUIRE(!failed);
    BOOST_TEST(failed.error() == (err == ENOSPC ? sluice::errc::disk_full : sluice::errc::io_error));
    const auto s = a.eng->stats().snapshot;
    BOOST_TEST(s.failures >= 1U);
    BOOST_TEST(!s.last_error.empty());
    BOOST_TEST(s.behind_records > 0U);
    BOOST_TEST(oldest_segment(*disk) == kept);  // the journal is kept while snapshots fail
    BOOST_TEST(a.logged("the journal is kept, retrying"));
    disk->clear_faults();
    BOOST_REQUIRE(a.snapshot());
    BOOST_REQUIRE(a.snapshot());
    BOOST_TEST(a.eng->stats().snapshot.last_error.empty());
    BOOST_TEST(a.eng->stats().snapshot.behind_records == 0U);
  }
}

BOOST_AUTO_TEST_CASE(a_snapshot_ahead_of_a_buffered_journal_after_a_power_loss_is_continued_not_overwritten) {
  auto disk = new_disk();
  std::unique_ptr<sluice::fs::simulated_disk> power_lost;
  {
    // Buffered: the journal is written, never synced; the snapshots are synced (FULL).
    node a(*disk, sluice::durability::buffered, 2, small_journal(1'000'000));
    a.hang = {1};
    BOOST_REQUIRE(!a.start());
    for (int i = 1; i <= 100; ++i) BOOST_REQUIRE(!a.enqueue(i));
    a.settle();
    BOOST_REQUIRE(a.snapshot());
    for (int i = 101; i <= 120; ++i) BOOST_REQUIRE(!a.enqueue(i));
    a.settle();
    BOOST_REQUIRE(a.snapshot());  // both generations hold 1..120; the journal only in the page cache
    power_lost = disk->image(sluice::fs::damage::lose_unsynced, 1);
  }
  {
    node b(*power_lost, sluice::durability::buffered, 2, small_journal(1'000'000));
    b.hang = {1};  // one worker: 1 runs again (its attempt counted) and finishes at the stop
    BOOST_REQUIRE(!b.start());
    BOOST_TEST(b.logged("before the snapshot"));
    BOOST_TEST(b.logged("from a snapshot of 120 rows"));
    for (int i = 121; i <= 130; ++i) BOOST_REQUIRE(!b.enqueue(i));  // LSNs after the snapshot's
    b.settle();
    BOOST_REQUIRE(b.snapshot());
  }  // clean stop: journal written, final snapshot
  // Each generation alone must hold everything (the older one was made a copy of the newest at
  // b's start: it could not get LSNs the journal lost): restart once with each one destroyed.
  for (const int victim : {0, 1}) {
    auto copy = power_lost->image(sluice::fs::damage::process_crash, 1);
    copy->overwrite("/data/snapshot." + std::to_string(victim) + ".sqlite", std::vector<std::uint8_t>(8192, 0x5a));
    node c(*copy, sluice::durability::buffered, 2, small_journal(1'000'000));
    BOOST_REQUIRE(!c.start());
    c.settle();
    // Nothing the snapshot held or b acknowledged is lost or run twice: 1 finished in b, 2..130
    // (2..120 from the snapshot, 121..130 from b's journal after it) run once here.
    for (int i = 2; i <= 130; ++i) BOOST_TEST(c.runs[i].size() == 1U, "order " << i << ", generation " << victim);
    BOOST_TEST(!c.runs.contains(1));
  }
}

BOOST_AUTO_TEST_CASE(async_snapshot_needs_a_running_engine_with_snapshots) {
  auto disk = new_disk();
  {
    node off(*disk, sluice::durability::fsync, 2, [](sluice::engine_options& o) { o.persistence.snapshots = false; });
    BOOST_REQUIRE(!off.start());
    auto r = off.snapshot();
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error() == sluice::errc::invalid_argument);
    BOOST_TEST(!off.eng->stats().snapshot.enabled);
  }
  node idle(*disk);
  auto r = idle.snapshot();  // not started
  BOOST_REQUIRE(!r);
  BOOST_TEST(r.error() == sluice::errc::not_running);
}

BOOST_AUTO_TEST_SUITE_END()
