// Crash-point enumeration of a workload with snapshot cycles: the disk dies at every I/O
// operation, under each damage model, and recovery must give exactly the acknowledged batches
// (with or without the one in doubt). A negative test proves the oracle notices snapshots
// committed with synchronous=NORMAL. Half the batches reach the snapshots as the engine's, with
// their enqueues left in the journal and read back at commit.
#include "snapshot_fixture.hpp"

#include <boost/test/unit_test.hpp>

using namespace snapshot_fixture;

namespace {

struct workload_result {
  std::vector<std::vector<j::event>> acknowledged;  // batches whose append returned success
  std::vector<j::event> in_doubt;                   // the batch whose append failed (it may be durable)
};

constexpr int workload_batches = 18;

// Runs the workload; the disk may die at any operation (crash_at), after which everything fails.
workload_result run_workload(fs::simulated_disk& disk, snap::db_options db) {
  workload_result out;
  std::string detail;
  auto store = recover(disk, detail, db);
  if (!store) return out;  // died while creating the snapshots
  j::journal_writer w(disk, writer_for(), store->next_lsn);
  for (int i = 0; i < workload_batches; ++i) {
    auto events = batch(i);
    // Half the batches as the running engine feeds them (enqueues read back from the journal at
    // commit), half decoded (as recovery feeds its replay).
    const bool ok = i % 2 == 0 ? append_in_journal(w, *store->keeper, events) : append(w, *store->keeper, events);
    if (ok) {
      out.acknowledged.push_back(events);
    } else if (out.in_doubt.empty()) {
      out.in_doubt = events;
      break;
    }
    if (i % 3 == 2) (void)store->keeper->snapshot(detail);
  }
  return out;
}

// Every crash point of the workload under every damage model; returns the failures.
int enumerate_crashes(snap::db_options db, bool report) {
  auto probe = fresh_disk();
  const auto before = probe->operations();
  (void)run_workload(*probe, db);
  const auto total = probe->operations() - before;
  BOOST_TEST_MESSAGE("snapshot crash workload: " << total << " I/O operations");
  int failures = 0;
  int points = 0;
  for (std::uint64_t crash = 1; crash <= total + 1; ++crash) {
    for (auto model :
         {fs::damage::process_crash, fs::damage::lose_unsynced, fs::damage::torn_unsynced, fs::damage::zero_extend}) {
      auto disk = fresh_disk();
      disk->crash_at(crash);
      const auto w = run_workload(*disk, db);
      auto image = disk->image(model, crash * 31 + static_cast<std::uint64_t>(model));
      std::string detail;
      auto r = recover(*image, detail);
      ++points;
      if (!r) {
        ++failures;
        if (report) BOOST_ERROR("crash " << crash << " model " << int(model) << ": recovery failed: " << detail);
        continue;
      }
      const auto got = picture(r->state);
      const auto without = fold(w.acknowledged);
      const auto with = fold(w.acknowledged, &w.in_doubt);
      if (got != without && got != with) {
        ++failures;
        if (report) {
          BOOST_ERROR("crash " << crash << " model " << int(model) << ": recovered\n"
                               << describe(got) << "expected\n"
                               << describe(without));
        }
      }
    }
  }
  BOOST_TEST_MESSAGE("snapshot crash enumeration: " << points << " crash images, " << failures << " failures");
  return failures;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(snapshot_crash_suite)

BOOST_AUTO_TEST_CASE(crash_at_every_operation_of_snapshot_cycles_loses_nothing) {
  BOOST_TEST(enumerate_crashes({}, /*report=*/true) == 0);
}

BOOST_AUTO_TEST_CASE(the_oracle_catches_snapshots_committed_without_a_full_sync) {
  snap::db_options broken;
  broken.full_sync = false;
  BOOST_TEST(enumerate_crashes(broken, /*report=*/false) > 0);
}

BOOST_AUTO_TEST_SUITE_END()
