// Pass two of recovery: the reader thread and the applier share the decoding (a batch is
// decoded by the reader or handed over raw, viewing the segment buffer, for the applier to
// decode). Whichever thread decodes, every record arrives once, in LSN order, across segment
// rolls (where the buffer is read over only after the raw views were consumed); a CRC-valid
// undecodable record fails the replay at its LSN, or with salvage is skipped and named, on either
// thread. Runs under ThreadSanitizer in CI (the concurrency label).
#include "sluice/persist/journal_replay.hpp"
#include "sluice/error.hpp"
#include "sluice/fs/simulated_disk.hpp"
#include "sluice/journal/journal_recovery.hpp"
#include "sluice/journal/journal_writer.hpp"
#include "sluice/journal/record_codec.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace fs = sluice::fs;
namespace j = sluice::journal;
namespace p = sluice::persist;

namespace {

const std::string dir = "/data/journal";
constexpr std::uint64_t records = 9'000;  // several batches of 1024 in each of several segments

sluice::message_id id_of(std::uint64_t n) { return sluice::message_id{n << 16, n}; }

// The journal: enqueues of messages 1..records, every 7th record an ack of the message before,
// and the records at `bad` LSNs with a valid CRC and an undecodable payload.
std::unique_ptr<fs::simulated_disk> journal_with(const std::vector<std::uint64_t>& bad) {
  auto disk = std::make_unique<fs::simulated_disk>();
  BOOST_REQUIRE(!disk->create_dir("/data"));
  BOOST_REQUIRE(!disk->create_dir(dir));
  j::writer_options wo;
  wo.dir = dir;
  wo.segment_bytes = 256U << 10;
  j::journal_writer w(*disk, wo, 1);
  std::vector<std::string> payloads;
  std::vector<j::entry> batch;
  for (std::uint64_t lsn = 1; lsn <= records; ++lsn) {
    std::string bytes;
    j::record_type type = j::record_type::enqueue;
    if (std::find(bad.begin(), bad.end(), lsn) != bad.end()) {
      bytes = "\x01not a message";
    } else if (lsn % 7 == 0) {
      type = j::encode_event(j::ack_event{id_of(lsn - 1)}, bytes);
    } else {
      j::enqueue_event e;
      e.queue = "q";
      e.m.id = id_of(lsn);
      e.m.type = "t";
      e.m.payload = "payload " + std::to_string(lsn);
      type = j::encode_event(e, bytes);
    }
    payloads.push_back(std::move(bytes));
    batch.push_back(j::entry{type, {}});
    if (batch.size() == 50 || lsn == records) {
      const std::size_t first = payloads.size() - batch.size();
      for (std::size_t k = 0; k < batch.size(); ++k) batch[k].payload = payloads[first + k];
      BOOST_REQUIRE(w.append(batch).has_value());
      batch.clear();
    }
  }
  return disk;
}

struct replayed {
  boost::system::error_code ec;
  std::string detail;
  std::vector<std::string> notes;
  std::vector<std::uint64_t> lsns;  // in the order they arrived
  std::vector<std::uint64_t> enqueue_lsns;
  bool payloads_match = true;  // each enqueue's payload is its LSN's
  p::replay_counts counts;
};

replayed replay(fs::simulated_disk& disk, p::replay_split split, bool salvage) {
  replayed out;
  j::recovery_options ro;
  ro.salvage = salvage;
  auto scanned = j::scan_journal(disk, dir, ro, out.detail);
  BOOST_REQUIRE(scanned.has_value());
  BOOST_REQUIRE(scanned->segments.size() >= 3U);
  p::replay_sink sink;
  sink.enqueue = [&](std::uint64_t lsn, j::durable_message&& d) {
    out.lsns.push_back(lsn);
    out.enqueue_lsns.push_back(lsn);
    out.payloads_match &= d.m->payload == "payload " + std::to_string(lsn) && d.m->id == id_of(lsn) && d.order == lsn;
  };
  sink.other = [&](std::uint64_t lsn, j::event&& e) {
    out.lsns.push_back(lsn);
    out.payloads_match &= std::holds_alternative<j::ack_event>(e) && j::event_id(e) == id_of(lsn - 1);
  };
  out.ec = p::replay_journal(disk, dir, *scanned, salvage, sink, out.notes, out.detail, split, &out.counts);
  return out;
}

std::vector<std::uint64_t> all_but(const std::vector<std::uint64_t>& skipped, std::uint64_t upto = records) {
  std::vector<std::uint64_t> v;
  for (std::uint64_t lsn = 1; lsn <= upto; ++lsn) {
    if (std::find(skipped.begin(), skipped.end(), lsn) == skipped.end()) v.push_back(lsn);
  }
  return v;
}

const p::replay_split splits[] = {p::replay_split::balanced, p::replay_split::reader_decodes,
                                  p::replay_split::applier_decodes, p::replay_split::alternate};

}  // namespace

BOOST_AUTO_TEST_SUITE(journal_replay_suite)

BOOST_AUTO_TEST_CASE(every_record_arrives_once_in_order_whichever_thread_decodes_it) {
  auto disk = journal_with({});
  for (const auto split : splits) {
    const auto r = replay(*disk, split, false);
    BOOST_TEST_REQUIRE(!r.ec, r.detail);
    BOOST_TEST(r.lsns == all_but({}), "split " << static_cast<int>(split));
    BOOST_TEST(r.payloads_match);
    BOOST_TEST(r.notes.empty());
    BOOST_TEST(r.counts.decoded_by_reader + r.counts.decoded_by_applier == records);
    if (split == p::replay_split::reader_decodes) BOOST_TEST(r.counts.decoded_by_applier == 0U);
    if (split == p::replay_split::applier_decodes) BOOST_TEST(r.counts.decoded_by_reader == 0U);
    if (split == p::replay_split::alternate) {  // both threads decoded, batches of either kind
      BOOST_TEST(r.counts.decoded_by_reader > 0U);
      BOOST_TEST(r.counts.decoded_by_applier > 0U);
    }
  }
}

BOOST_AUTO_TEST_CASE(an_undecodable_record_fails_the_replay_at_its_lsn_on_either_thread) {
  // Bad records in every stretch of the journal: under `alternate` some fall in batches the
  // reader decodes, others in batches handed over raw.
  for (std::uint64_t bad = 500; bad < records; bad += 1100) {
    auto disk = journal_with({bad});
    for (const auto split : splits) {
      const auto r = replay(*disk, split, false);
      BOOST_TEST_REQUIRE((r.ec == sluice::make_error_code(sluice::errc::journal_corrupt)));
      BOOST_TEST(r.detail.find("journal record " + std::to_string(bad) + " ") != std::string::npos, r.detail);
      // A prefix in order, nothing at or after it.
      const auto before = all_but({}, bad - 1);
      BOOST_TEST_REQUIRE(r.lsns.size() <= before.size());
      BOOST_TEST(std::equal(r.lsns.begin(), r.lsns.end(), before.begin()));
      BOOST_TEST(r.payloads_match);
    }
  }
}

BOOST_AUTO_TEST_CASE(salvage_skips_undecodable_records_on_either_thread_and_names_them_in_order) {
  const std::vector<std::uint64_t> bad = {2, 1500, 3000, 5000, 8999};
  auto disk = journal_with(bad);
  for (const auto split : splits) {
    const auto r = replay(*disk, split, true);
    BOOST_TEST_REQUIRE(!r.ec, r.detail);
    BOOST_TEST(r.lsns == all_but(bad));
    BOOST_TEST(r.payloads_match);
    BOOST_REQUIRE(r.notes.size() == bad.size());
    for (std::size_t k = 0; k < bad.size(); ++k) {
      BOOST_TEST(r.notes[k].find("journal record " + std::to_string(bad[k]) + " ") != std::string::npos, r.notes[k]);
    }
  }
}

BOOST_AUTO_TEST_CASE(an_applier_that_throws_stops_the_reader_and_the_error_reaches_the_caller) {
  auto disk = journal_with({});
  for (const auto split : splits) {
    j::recovery_options ro;
    std::string detail;
    auto scanned = j::scan_journal(*disk, dir, ro, detail);
    BOOST_REQUIRE(scanned.has_value());
    std::uint64_t applied = 0;
    p::replay_sink sink;
    sink.enqueue = [&](std::uint64_t, j::durable_message&&) {
      if (++applied == 2500) throw std::runtime_error("applier fails");
    };
    sink.other = [&](std::uint64_t, j::event&&) { ++applied; };
    std::vector<std::string> notes;
    BOOST_CHECK_THROW((void)p::replay_journal(*disk, dir, *scanned, false, sink, notes, detail, split),
                      std::runtime_error);
    BOOST_TEST(applied == 2500U);
  }
}

BOOST_AUTO_TEST_SUITE_END()
