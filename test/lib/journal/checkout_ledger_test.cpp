// The checkout ledger on the simulated disk: a noted checkout survives a process crash (not a
// power loss), a torn entry is ignored while the slot's other entry stays valid, a ledger of
// another instance or with a damaged header is rebuilt and trusted for nothing, held slots are
// not handed out, and recovery applies only checkouts newer than what the journal has.
#include "sluice/journal/checkout_ledger.hpp"
#include "sluice/fs/simulated_disk.hpp"
#include "sluice/journal/journal_state.hpp"

#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>
#include <vector>

namespace {

using sluice::journal::checkout_event;
using sluice::journal::checkout_ledger;
using sluice::journal::ledger_entry;

const std::string path = "/d/CHECKOUTS";

sluice::journal::instance_id instance(std::uint8_t seed) {
  sluice::journal::instance_id id{};
  for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<std::uint8_t>(seed + i);
  return id;
}

std::unique_ptr<sluice::fs::simulated_disk> disk_with_dir() {
  auto disk = std::make_unique<sluice::fs::simulated_disk>();
  BOOST_REQUIRE(!disk->create_dir("/d"));
  return disk;
}

struct opened {
  std::shared_ptr<checkout_ledger> ledger;
  std::vector<ledger_entry> left;
  std::string note;
};

opened open_on(sluice::fs::file_system& disk, std::uint8_t seed = 1) {
  opened o;
  std::string detail;
  auto l = checkout_ledger::open(disk, path, instance(seed), o.left, o.note, detail);
  BOOST_REQUIRE_MESSAGE(l, detail);
  o.ledger = *l;
  return o;
}

checkout_event checkout(std::uint64_t lo, std::uint32_t attempt, std::uint64_t epoch) {
  return checkout_event{sluice::message_id{7, lo}, attempt, epoch};
}

bool same(const checkout_event& a, const checkout_event& b) {
  return a.id == b.id && a.attempt == b.attempt && a.lease_epoch == b.lease_epoch;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(checkout_ledger_suite)

BOOST_AUTO_TEST_CASE(a_noted_checkout_survives_a_process_crash_and_not_a_power_loss) {
  auto disk = disk_with_dir();
  auto first = open_on(*disk);
  BOOST_TEST(first.left.empty());
  BOOST_TEST(first.note.empty());
  auto slot = first.ledger->acquire();
  BOOST_REQUIRE(slot);
  slot->note(checkout(1, 3, 5));
  {
    auto crashed = disk->image(sluice::fs::damage::process_crash, 1);
    auto again = open_on(*crashed);
    BOOST_REQUIRE(again.left.size() == 1U);
    BOOST_TEST(same(again.left[0].checkout, checkout(1, 3, 5)));
    BOOST_TEST(again.left[0].slot == slot->index());
  }
  auto lost = disk->image(sluice::fs::damage::lose_unsynced, 1);
  BOOST_TEST(open_on(*lost).left.empty());  // the file was synced once, empty; its stores never
}

BOOST_AUTO_TEST_CASE(a_torn_entry_is_ignored_and_the_slots_other_entry_stays) {
  auto disk = disk_with_dir();
  auto first = open_on(*disk);
  auto slot = first.ledger->acquire();
  BOOST_REQUIRE(slot);
  slot->note(checkout(1, 1, 1));  // an earlier delivery, finished
  slot->note(checkout(2, 1, 1));  // the next, being stored when the process died
  auto crashed = disk->image(sluice::fs::damage::process_crash, 1);
  auto bytes = *crashed->contents(path);
  const std::size_t second = (std::size_t{slot->index()} + 1) * checkout_ledger::line_bytes + 32;
  bytes[second + 16] ^= 0x40U;  // its epoch half stored
  crashed->overwrite(path, bytes);
  auto again = open_on(*crashed);
  BOOST_REQUIRE(again.left.size() == 1U);
  BOOST_TEST(same(again.left[0].checkout, checkout(1, 1, 1)));
}

BOOST_AUTO_TEST_CASE(entries_are_valid_only_in_their_own_slot) {
  auto disk = disk_with_dir();
  auto first = open_on(*disk);
  auto a = first.ledger->acquire();
  auto b = first.ledger->acquire();
  BOOST_REQUIRE(a && b);
  a->note(checkout(1, 1, 1));
  auto crashed = disk->image(sluice::fs::damage::process_crash, 1);
  auto bytes = *crashed->contents(path);
  const auto line = [](std::uint32_t slot) { return (std::size_t{slot} + 1) * checkout_ledger::line_bytes; };
  std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(line(a->index())), checkout_ledger::line_bytes,
              bytes.begin() + static_cast<std::ptrdiff_t>(line(b->index())));
  crashed->overwrite(path, bytes);
  auto again = open_on(*crashed);
  BOOST_REQUIRE(again.left.size() == 1U);
  BOOST_TEST(again.left[0].slot == a->index());
}

BOOST_AUTO_TEST_CASE(another_instances_or_a_damaged_ledger_is_rebuilt_and_trusted_for_nothing) {
  auto disk = disk_with_dir();
  {
    auto first = open_on(*disk, 1);
    auto slot = first.ledger->acquire();
    BOOST_REQUIRE(slot);
    slot->note(checkout(1, 1, 1));
  }
  {
    auto other = open_on(*disk, 2);  // the directory's INSTANCE changed: not this ledger's
    BOOST_TEST(other.left.empty());
    BOOST_TEST(other.note.find("another instance") != std::string::npos, other.note);
    auto slot = other.ledger->acquire();
    BOOST_REQUIRE(slot);
    slot->note(checkout(2, 1, 1));
  }
  auto bytes = *disk->contents(path);
  bytes[3] ^= 1U;
  disk->overwrite(path, bytes);
  auto damaged = open_on(*disk, 2);
  BOOST_TEST(damaged.left.empty());
  BOOST_TEST(damaged.note.find("header is damaged") != std::string::npos, damaged.note);
  damaged.ledger.reset();                      // unmapped (the simulated disk maps a file once at a time)
  BOOST_TEST(open_on(*disk, 2).note.empty());  // rebuilt: valid again
}

BOOST_AUTO_TEST_CASE(held_slots_are_not_handed_out_and_released_slots_are) {
  auto disk = disk_with_dir();
  auto o = open_on(*disk);
  o.ledger->hold(0);
  std::vector<checkout_ledger::slot> taken;
  while (auto s = o.ledger->acquire()) {
    BOOST_TEST(s->index() != 0U);
    taken.push_back(std::move(*s));
  }
  BOOST_TEST(taken.size() == checkout_ledger::slot_count - 1);
  BOOST_TEST(o.ledger->in_use() == checkout_ledger::slot_count - 1);
  const std::uint32_t held[] = {0};
  o.ledger->unhold(held);
  auto zero = o.ledger->acquire();
  BOOST_REQUIRE(zero);
  BOOST_TEST(zero->index() == 0U);
  const auto last = taken.back().index();
  taken.pop_back();  // a worker ends: its slot is free again
  auto again = o.ledger->acquire();
  BOOST_REQUIRE(again);
  BOOST_TEST(again->index() == last);
  BOOST_TEST(!o.ledger->acquire());
}

BOOST_AUTO_TEST_CASE(recovery_applies_only_checkouts_the_journal_lacks) {
  using namespace sluice::journal;
  journal_state s;
  const auto enqueue = [&](std::uint64_t lsn, std::uint64_t lo) {
    enqueue_event e;
    e.queue = "q";
    e.m.id = sluice::message_id{7, lo};
    s.apply(lsn, event{std::move(e)});
  };
  enqueue(1, 1);
  enqueue(2, 2);
  enqueue(3, 3);
  s.apply(4, event{checkout(1, 1, 1)});  // journaled: the ledger's copy is stale
  s.apply(5, event{checkout(3, 1, 1)});
  s.apply(6, event{ack_event{sluice::message_id{7, 3}}});
  BOOST_TEST(!s.apply_if_newer(7, checkout(1, 1, 1)));  // the journal has it
  BOOST_TEST(s.apply_if_newer(7, checkout(2, 1, 1)));   // lost with the process
  BOOST_TEST(!s.apply_if_newer(8, checkout(3, 1, 1)));  // finished: nothing to count
  BOOST_TEST(!s.apply_if_newer(8, checkout(9, 1, 1)));  // never existed
  BOOST_TEST(s.contradictions() == 0U);                 // neither is a contradiction
  const auto r = s.take();
  BOOST_REQUIRE(r.in_flight.size() == 2U);
  for (const auto& d : r.in_flight) BOOST_TEST(d.m->attempt == 1U);
  BOOST_TEST(r.ready.empty());
}

BOOST_AUTO_TEST_SUITE_END()
