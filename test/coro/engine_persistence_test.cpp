// The engine with persistence, on the simulated disk: a restart (taken as a process-crash or
// power-loss image of the disk while the first engine still runs) recovers pending, scheduled,
// in-flight (attempt counted) and dead-lettered messages; acknowledged enqueues survive a power
// loss; acks, replays and purges are journaled; a message that takes the process down on every
// attempt reaches the dead-letter queue; a full disk fails the enqueue with disk_full and the
// engine serves again when space returns; a second engine on the same directory is refused.
#include "persistent_node.hpp"

#include <sluice/fs/simulated_disk.hpp>
#include <sluice/journal/journal_recovery.hpp>
#include <sluice/journal/journal_writer.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>
#include <thread>

namespace asio = boost::asio;
using namespace sluice_test;
using namespace std::chrono_literals;
using boost::system::error_code;

namespace {

// Starts on the image of a third crash of message 7 (max_retries 2): 7 is not run a fourth time
// and is dead-lettered as a process crash with three attempts. Returns the node, still running.
std::unique_ptr<node> expect_dead_lettered_by_crashes(sluice::fs::simulated_disk& image) {
  auto last = std::make_unique<node>(image, sluice::durability::fsync, 2);
  BOOST_REQUIRE(!last->start());
  last->settle();
  BOOST_TEST(!last->runs.contains(7));  // three attempts spent: not run a fourth time
  const auto letters = last->eng->dead_letters();
  BOOST_REQUIRE(letters.size() == 1U);
  BOOST_TEST(letters[0].cause.error_type == "sluice::process_crash");
  BOOST_TEST(letters[0].envelope.attempt == 3U);
  return last;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(engine_persistence_suite)

BOOST_AUTO_TEST_CASE(a_restart_recovers_pending_scheduled_in_flight_and_dead_letters) {
  auto disk = new_disk();
  std::unique_ptr<sluice::fs::simulated_disk> crashed;
  {
    node a(*disk);
    a.hang = {1};              // in flight when the process dies
    a.fail_permanently = {2};  // dead-lettered
    BOOST_REQUIRE(!a.start());
    BOOST_REQUIRE(!a.enqueue(2));
    a.settle();
    BOOST_REQUIRE(!a.enqueue(1));
    a.settle();
    sluice::enqueue_options later;
    later.delay = std::chrono::hours(1);
    BOOST_REQUIRE(!a.enqueue(3, later));
    BOOST_REQUIRE(!a.enqueue(4));  // pending behind the hung handler (one worker)
    BOOST_REQUIRE(!a.enqueue(5));
    BOOST_REQUIRE(!a.enqueue(6));
    a.settle();
    BOOST_TEST(a.runs.size() == 2U);  // 1 hangs, 2 failed; 4..6 wait
    BOOST_TEST(a.q().dead_letters == 1U);
    crashed = disk->image(sluice::fs::damage::process_crash, 1);  // SIGKILL now
  }
  node b(*crashed);
  BOOST_REQUIRE(!b.start());
  b.settle();
  BOOST_TEST(b.runs[1] == (std::vector<std::uint32_t>{2}), boost::test_tools::per_element());  // attempt 1 counted
  BOOST_TEST(b.runs[4].size() == 1U);
  BOOST_TEST(b.runs[5].size() == 1U);
  BOOST_TEST(b.runs[6].size() == 1U);
  BOOST_TEST(!b.runs.contains(2));  // dead letters are not run again
  BOOST_TEST(!b.runs.contains(3));  // not due yet
  BOOST_TEST(b.q().dead_letters == 1U);
  const auto letters = b.eng->dead_letters();
  BOOST_REQUIRE(letters.size() == 1U);
  BOOST_TEST(letters[0].cause.error_type == "sluice::permanent_error");
  b.clock.advance(std::chrono::hours(1));
  b.settle();
  BOOST_TEST(b.runs[3].size() == 1U);
}

BOOST_AUTO_TEST_CASE(an_in_flight_message_still_leads_its_ordering_key_after_a_crash) {
  auto disk = new_disk();
  std::unique_ptr<sluice::fs::simulated_disk> crashed;
  {
    node a(*disk);
    a.hang = {1};
    BOOST_REQUIRE(!a.start());
    sluice::enqueue_options keyed;
    keyed.ordering_key = "customer-7";
    BOOST_REQUIRE(!a.enqueue(1, keyed));
    a.settle();
    BOOST_REQUIRE(!a.enqueue(2, keyed));  // held behind 1
    BOOST_REQUIRE(!a.enqueue(3, keyed));
    a.settle();
    BOOST_TEST(a.sequence == (std::vector<int>{1}), boost::test_tools::per_element());
    crashed = disk->image(sluice::fs::damage::process_crash, 4);
  }
  node b(*crashed);
  BOOST_REQUIRE(!b.start());
  b.settle();
  BOOST_TEST(b.sequence == (std::vector<int>{1, 2, 3}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_retrying_message_still_leads_its_ordering_key_after_a_crash) {
  auto disk = new_disk();
  std::unique_ptr<sluice::fs::simulated_disk> crashed;
  std::set<int> failing = {1};
  {
    node a(*disk);
    a.on_start = [&](int id) {
      if (failing.contains(id)) throw std::runtime_error("transient");
    };
    BOOST_REQUIRE(!a.start());
    sluice::enqueue_options keyed;
    keyed.ordering_key = "customer-7";
    BOOST_REQUIRE(!a.enqueue(1, keyed));  // fails: waits 10 ms for its retry, keeping the key
    a.settle();
    BOOST_REQUIRE(!a.enqueue(2, keyed));
    a.settle();
    BOOST_TEST(a.sequence == (std::vector<int>{1}), boost::test_tools::per_element());
    crashed = disk->image(sluice::fs::damage::process_crash, 5);
  }
  node b(*crashed);
  BOOST_REQUIRE(!b.start());
  b.clock.advance(10ms);
  b.settle();
  BOOST_TEST(b.sequence == (std::vector<int>{1, 2}), boost::test_tools::per_element());
  BOOST_TEST(b.runs[1] == (std::vector<std::uint32_t>{2}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_recovered_keyed_message_still_takes_replacements) {
  auto disk = new_disk();
  std::unique_ptr<sluice::fs::simulated_disk> crashed;
  sluice::enqueue_options keyed;
  keyed.dedup_key = "cart-9";
  {
    node a(*disk);
    a.hang = {1};  // the only worker is busy: the keyed message waits
    BOOST_REQUIRE(!a.start());
    BOOST_REQUIRE(!a.enqueue(1));
    a.settle();
    BOOST_REQUIRE(!a.enqueue(2, keyed));
    a.settle();
    crashed = disk->image(sluice::fs::damage::process_crash, 6);
  }
  node b(*crashed);
  b.hang = {1};
  BOOST_REQUIRE(!b.start());
  BOOST_REQUIRE(!b.enqueue(3, keyed));  // replaces 2's payload: one job, the newest payload
  BOOST_TEST(b.eng->inspect_dedup_key("jobs", "cart-9").has_value());
  b.g.open();
  b.settle();
  BOOST_TEST(b.runs.contains(3));
  BOOST_TEST(!b.runs.contains(2));
}

BOOST_AUTO_TEST_CASE(acknowledged_enqueues_survive_a_power_loss_and_acks_are_not_redelivered) {
  auto disk = new_disk();
  std::unique_ptr<sluice::fs::simulated_disk> lost_power;
  {
    node a(*disk);
    a.hang = {100};
    BOOST_REQUIRE(!a.start());
    for (int i = 0; i < 50; ++i) BOOST_REQUIRE(!a.enqueue(i));  // 0..49 run and are acknowledged
    a.settle();
    BOOST_REQUIRE(!a.enqueue(100));  // blocks the only worker
    for (int i = 101; i < 120; ++i) BOOST_REQUIRE(!a.enqueue(i));
    a.settle();
    BOOST_TEST(a.q().processed == 50U);
    // Acks are journaled without waiting; give the writer a moment by stopping nothing: a power
    // loss may lose unsynced acks, never an acknowledged enqueue.
    lost_power = disk->image(sluice::fs::damage::lose_unsynced, 2);
  }
  node b(*lost_power);
  BOOST_REQUIRE(!b.start());
  b.settle();
  for (int i = 100; i < 120; ++i) BOOST_TEST(b.runs[i].size() == 1U, "order " << i);
  int redelivered = 0;
  for (int i = 0; i < 50; ++i) redelivered += b.runs.contains(i) ? 1 : 0;
  BOOST_TEST_MESSAGE(redelivered << " of 50 acknowledged messages redelivered (acks not yet synced at the loss)");
}

BOOST_AUTO_TEST_CASE(after_a_clean_stop_nothing_is_redelivered) {
  auto disk = new_disk();
  {
    node a(*disk);
    BOOST_REQUIRE(!a.start());
    for (int i = 0; i < 20; ++i) BOOST_REQUIRE(!a.enqueue(i));
    a.settle();
  }  // stopped: every ack written
  node b(*disk);
  BOOST_REQUIRE(!b.start());
  b.settle();
  BOOST_TEST(b.runs.empty());
}

BOOST_AUTO_TEST_CASE(a_message_that_kills_the_process_on_every_attempt_is_dead_lettered) {
  // The process dies in the handler (SIGKILL, abort, OOM kill): the kernel keeps what was written,
  // so the checkout counts the attempt though its sync may not have run yet.
  auto disk = new_disk();
  std::unique_ptr<sluice::fs::simulated_disk> image;
  {
    node a(*disk, sluice::durability::fsync, /*max_retries=*/2);
    BOOST_REQUIRE(!a.start());
    a.hang = {7};
    a.on_start = [&](int) { image = disk->image(sluice::fs::damage::process_crash, 3); };  // dies in the handler
    BOOST_REQUIRE(!a.enqueue(7));
    a.settle();
  }
  for (std::uint32_t attempt = 2; attempt <= 3; ++attempt) {  // restarts that die again
    auto current = std::move(image);
    node n(*current, sluice::durability::fsync, 2);
    n.hang = {7};
    n.on_start = [&](int) { image = current->image(sluice::fs::damage::process_crash, attempt); };
    BOOST_REQUIRE(!n.start());
    n.settle();
    BOOST_TEST(n.runs[7] == (std::vector<std::uint32_t>{attempt}), boost::test_tools::per_element());
  }
  expect_dead_lettered_by_crashes(*image);
}

BOOST_AUTO_TEST_CASE(a_handler_that_kills_the_process_before_its_checkout_is_written_has_its_attempt_counted) {
  // The handler starts once its checkout is noted in the checkout ledger, before the journal's
  // writer thread has written the checkout record. Here the writer is held whenever the handler
  // runs, so no crash image has a checkout record at all: only the ledger counts the attempts,
  // and the poison message still reaches the dead-letter queue after max_retries.
  const auto no_workers = [](sluice::engine_options& o) { o.default_queue.min_workers = 0; };
  // Starts a process on `from`, runs message 7 with the journal's writes held, and returns the
  // image of the process dying in 7's handler.
  const auto die_in_handler = [&](sluice::fs::simulated_disk& from, bool first, std::uint32_t attempt) {
    std::unique_ptr<sluice::fs::simulated_disk> image;
    node n(from, sluice::durability::fsync, /*max_retries=*/2, no_workers);
    BOOST_REQUIRE(!n.start());
    if (first) {
      BOOST_REQUIRE(!n.enqueue(7));
      BOOST_REQUIRE(!n.enqueue(8));  // behind 7 (one worker): never started
    }
    n.hang = {7};
    n.on_start = [&](int id) {
      if (id != 7 || image) return;
      image = from.image(sluice::fs::damage::process_crash, attempt);
      from.release_writes();
    };
    from.hold_writes("/data/journal/");
    BOOST_REQUIRE(!n.eng->scale("jobs", 1));
    for (int i = 0; i < 100'000 && !image; ++i) {
      n.ioc.restart();
      n.ioc.poll();
    }
    from.release_writes();
    BOOST_REQUIRE(image);
    BOOST_TEST(n.runs[7] == (std::vector<std::uint32_t>{attempt}), boost::test_tools::per_element());
    BOOST_TEST(!n.runs.contains(8));
    return image;
  };
  auto disk = new_disk();
  auto image = die_in_handler(*disk, true, 1);
  for (std::uint32_t attempt = 2; attempt <= 3; ++attempt) image = die_in_handler(*image, false, attempt);
  const auto last = expect_dead_lettered_by_crashes(*image);
  BOOST_TEST(last->runs[8].size() == 1U);
}

BOOST_AUTO_TEST_CASE(a_power_loss_during_handlers_loses_no_message_and_at_most_the_running_attempt) {
  // The handler starts once its checkout is written, not synced: a power loss at that moment may
  // leave the running attempt uncounted (never more than that one), and never loses a message
  // whose enqueue was acknowledged.
  std::size_t uncounted = 0;
  std::size_t counted = 0;
  for (auto model : {sluice::fs::damage::lose_unsynced, sluice::fs::damage::torn_unsynced}) {
    for (std::uint64_t seed = 1; seed <= 8; ++seed) {
      auto disk = new_disk();
      std::unique_ptr<sluice::fs::simulated_disk> image;
      std::set<int> acked;
      std::set<int> waiting;  // acknowledged and not started when the power failed
      {
        node a(*disk, sluice::durability::fsync, /*max_retries=*/5);
        BOOST_REQUIRE(!a.start());
        a.hang = {7};
        a.on_start = [&](int id) {
          if (id != 7 || image) return;
          image = disk->image(model, seed);  // the power fails in the handler
          for (int k : acked) {
            if (!a.runs.contains(k)) waiting.insert(k);
          }
        };
        for (int id = 1; id <= 8; ++id) {
          BOOST_REQUIRE(!a.enqueue(id));
          acked.insert(id);
        }
        a.settle();
        BOOST_REQUIRE(image);
      }
      node b(*image, sluice::durability::fsync, 5);
      BOOST_REQUIRE(!b.start());
      b.settle();
      // 7 ran once before the power failed; now its attempt is 2 (counted) or 1 (not counted).
      BOOST_REQUIRE(b.runs[7].size() == 1U);
      const auto attempt = b.runs[7][0];
      BOOST_TEST((attempt == 1U || attempt == 2U), "attempt " << attempt);
      (attempt == 1U ? uncounted : counted) += 1;
      for (int k : waiting) BOOST_TEST(b.runs[k].size() == 1U, "message " << k << " was acknowledged");
    }
  }
  BOOST_TEST_MESSAGE("the running attempt was counted in " << counted << " power losses, not in " << uncounted);
}

BOOST_AUTO_TEST_CASE(a_full_disk_fails_enqueues_with_disk_full_and_service_resumes) {
  auto disk = new_disk();
  node a(*disk);
  BOOST_REQUIRE(!a.start());
  BOOST_REQUIRE(!a.enqueue(1));
  a.settle();  // ran: its checkout and ack are written before the disk fills
  disk->fail(sluice::fs::op_kind::write, 1, ENOSPC, /*persistent=*/true);
  BOOST_TEST(a.enqueue(2) == sluice::errc::disk_full);
  BOOST_TEST(a.enqueue(3) == sluice::errc::disk_full);
  disk->clear_faults();
  BOOST_REQUIRE(!a.enqueue(4));
  a.settle();
  BOOST_TEST(a.runs.contains(1));
  BOOST_TEST(!a.runs.contains(2));  // never acknowledged, never run
  BOOST_TEST(!a.runs.contains(3));
  BOOST_TEST(a.runs.contains(4));
  BOOST_TEST(a.q().pending == 0U);  // the failed enqueues gave their room back
}

BOOST_AUTO_TEST_CASE(replays_and_purges_are_journaled) {
  auto disk = new_disk();
  {
    node a(*disk);
    a.fail_permanently = {1, 2};
    BOOST_REQUIRE(!a.start());
    BOOST_REQUIRE(!a.enqueue(1));
    BOOST_REQUIRE(!a.enqueue(2));
    a.settle();
    BOOST_REQUIRE(a.q().dead_letters == 2U);
    a.fail_permanently.clear();
    const auto letters = a.eng->dead_letters();
    BOOST_REQUIRE(!a.eng->replay_dead_letter(letters[0].envelope.id));
    a.settle();
    BOOST_TEST(a.eng->purge_dead_letters() == 1U);
  }
  node b(*disk);
  BOOST_REQUIRE(!b.start());
  b.settle();
  BOOST_TEST(b.q().dead_letters == 0U);
  BOOST_TEST(b.runs.empty());  // the replayed one ran and was acknowledged; the purged one is gone
}

BOOST_AUTO_TEST_CASE(a_second_engine_on_the_same_directory_is_refused) {
  auto disk = new_disk();
  node a(*disk);
  BOOST_REQUIRE(!a.start());
  node b(*disk);
  BOOST_TEST(b.start() == sluice::errc::directory_locked);
}

BOOST_AUTO_TEST_CASE(enqueues_before_start_are_refused_when_persistent) {
  auto disk = new_disk();
  node a(*disk);
  BOOST_TEST(a.eng->try_enqueue("jobs", order{1, "x"}).error() == sluice::errc::not_running);
}

BOOST_AUTO_TEST_CASE(a_dead_letter_evicted_for_capacity_stays_gone_after_a_restart) {
  auto disk = new_disk();
  auto two_letters = [](sluice::engine_options& o) { o.default_queue.dead_letter_capacity = 2; };
  {
    node a(*disk, sluice::durability::fsync, 2, two_letters);
    a.fail_permanently = {1, 2, 3};
    BOOST_REQUIRE(!a.start());
    for (int i = 1; i <= 3; ++i) BOOST_REQUIRE(!a.enqueue(i));
    a.settle();
    BOOST_TEST(a.q().dead_letters == 2U);  // 1 evicted
  }
  // Restarted with room for three: the evicted letter must not come back.
  node b(*disk, sluice::durability::fsync, 2,
         [](sluice::engine_options& o) { o.default_queue.dead_letter_capacity = 3; });
  BOOST_REQUIRE(!b.start());
  const auto letters = b.eng->dead_letters();
  BOOST_REQUIRE(letters.size() == 2U);
  BOOST_TEST(letters[0].envelope.payload.find("\"id\":2") != std::string::npos);
  BOOST_TEST(letters[1].envelope.payload.find("\"id\":3") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_journal_cut_by_snapshots_is_refused_when_opened_without_them) {
  auto disk = new_disk();
  auto small = [](sluice::engine_options& o) {
    o.persistence.segment_bytes = 4096;
    o.persistence.snapshot_every_records = 50;
  };
  {
    node a(*disk, sluice::durability::fsync, 2, small);
    BOOST_REQUIRE(!a.start());
    for (int i = 1; i <= 300; ++i) BOOST_REQUIRE(!a.enqueue(i));
    a.settle();
    BOOST_REQUIRE(a.snapshot());
    BOOST_REQUIRE(a.snapshot());
    BOOST_REQUIRE(a.eng->stats().snapshot.segments_deleted > 0U);
  }
  node b(*disk, sluice::durability::fsync, 2, [](sluice::engine_options& o) { o.persistence.snapshots = false; });
  BOOST_TEST(b.start() == sluice::errc::journal_corrupt);
  BOOST_TEST(b.logged("it has snapshots"));
}

// A record whose CRC holds but whose payload does not decode (a bug or a foreign writer, never a
// torn write) stops recovery, which reads the journal on a second thread, with journal_corrupt
// naming its LSN; with salvage the engine starts with everything else and says what it skipped.
BOOST_AUTO_TEST_CASE(a_crc_valid_undecodable_record_fails_recovery_closed_unless_salvaged) {
  auto first = new_disk();
  std::unique_ptr<sluice::fs::simulated_disk> disk;
  {
    node a(*first);
    BOOST_REQUIRE(!a.start());
    a.hang = {1};  // in flight when the process dies; 2 and 3 wait behind it
    for (int i = 1; i <= 3; ++i) BOOST_REQUIRE(!a.enqueue(i));
    a.settle();
    disk = first->image(sluice::fs::damage::process_crash, 1);  // SIGKILL now
  }
  {  // append the bad record the way the engine's writer would, after what is there
    std::string detail;
    sluice::journal::recovery_options ro;
    auto scanned = sluice::journal::scan_journal(*disk, "/data/journal", ro, detail);
    BOOST_REQUIRE(scanned.has_value());
    BOOST_REQUIRE(scanned->instance.has_value());
    sluice::journal::writer_options wo;
    wo.dir = "/data/journal";
    wo.instance = *scanned->instance;
    sluice::journal::journal_writer w(*disk, wo, scanned->next_lsn);
    const sluice::journal::entry bad{sluice::journal::record_type::enqueue, "\x01not a message"};
    BOOST_REQUIRE(w.append(std::span<const sluice::journal::entry>(&bad, 1)).has_value());
  }
  {
    node b(*disk);
    BOOST_TEST(b.start() == sluice::make_error_code(sluice::errc::journal_corrupt));
    const std::lock_guard lock(b.logs_mutex);
    BOOST_TEST(std::any_of(b.logs.begin(), b.logs.end(), [](const std::string& l) {
      return l.find("valid CRC but an undecodable payload") != std::string::npos;
    }));
  }
  node c(*disk, sluice::durability::fsync, 2, [](sluice::engine_options& o) { o.persistence.salvage = true; });
  BOOST_REQUIRE(!c.start());
  c.settle();
  BOOST_TEST(c.runs.size() == 3U);  // the three messages before the bad record ran
  const std::lock_guard lock(c.logs_mutex);
  BOOST_TEST(std::any_of(c.logs.begin(), c.logs.end(), [](const std::string& l) {
    return l.find("recovery: journal record") != std::string::npos && l.find("undecodable") != std::string::npos;
  }));
}

BOOST_AUTO_TEST_SUITE_END()
