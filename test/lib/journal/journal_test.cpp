// The journal writer and recovery on the simulated disk: round trips across segment rolls; torn
// tails cut durably; ENOSPC and EIO on write; failed fsyncs (fsyncgate) voided, never resurrected;
// corruption failing closed (or salvaged); read errors as errors; and crash-point enumeration:
// the power fails at every I/O operation of a workload, under each damage model, and recovery
// must return exactly the acknowledged batches, plus at most the one batch in doubt, whole; and the
// same for a pipelined writer (several batches written per sync), where a process crash keeps every
// written batch and a power loss keeps the synced ones plus a prefix of the rest.
#include "../../forwarding_fs.hpp"
#include "../../print.hpp"
#include "sluice/error.hpp"
#include "sluice/fs/simulated_disk.hpp"
#include "sluice/journal/journal_recovery.hpp"
#include "sluice/journal/journal_writer.hpp"

#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <string>
#include <vector>

namespace j = sluice::journal;
namespace fs = sluice::fs;

namespace {

const std::string dir = "/data/journal";

std::unique_ptr<fs::simulated_disk> fresh_disk() {
  auto d = std::make_unique<fs::simulated_disk>();
  BOOST_REQUIRE(!d->create_dir("/data"));
  BOOST_REQUIRE(!d->create_dir(dir));
  return d;
}

// Zero-fill ahead of the written end for the writers small_segments() makes (0: append).
std::uint64_t zero_ahead = 0;

// Runs the suite's writers with preallocated segments while it lives.
struct preallocating {
  explicit preallocating(std::uint64_t bytes) { zero_ahead = bytes; }
  ~preallocating() { zero_ahead = 0; }
  preallocating(const preallocating&) = delete;
  preallocating& operator=(const preallocating&) = delete;
};

j::writer_options small_segments() {
  j::writer_options o;
  o.dir = dir;
  o.segment_bytes = 600;  // a roll every few batches
  o.instance[0] = 42;
  o.preallocate = zero_ahead;
  return o;
}

std::string payload_of(int batch, int record) {
  return "b" + std::to_string(batch) + "r" + std::to_string(record) +
         std::string(static_cast<std::size_t>(batch % 7) * 10, 'x');
}

// Hands batch `b` (1 to 3 records) to `write` and returns what it returns.
template <class Write>
auto with_batch(int b, Write write) {
  std::vector<std::string> payloads;
  for (int r = 0; r < 1 + b % 3; ++r) payloads.push_back(payload_of(b, r));
  std::vector<j::entry> entries;
  for (const auto& p : payloads) entries.push_back({j::record_type::enqueue, p});
  return write(std::span<const j::entry>(entries));
}

// Appends batch `b`; returns whether it was acknowledged.
bool append_batch(j::journal_writer& w, int b) {
  return with_batch(b, [&](std::span<const j::entry> e) { return w.append(e).has_value(); });
}

// Writes batch `b` without syncing it.
boost::system::result<j::written_batch> write_batch(j::journal_writer& w, int b) {
  return with_batch(b, [&](std::span<const j::entry> e) { return w.write(e); });
}

std::vector<std::string> expected_records(const std::vector<int>& batches) {
  std::vector<std::string> out;
  for (int b : batches) {
    for (int r = 0; r < 1 + b % 3; ++r) out.push_back(payload_of(b, r));
  }
  return out;
}

std::vector<std::string> payloads(const j::recovered_journal& r) {
  std::vector<std::string> out;
  for (const auto& rec : r.records) out.push_back(rec.payload);
  return out;
}

boost::system::result<j::recovered_journal> recover(fs::file_system& disk, std::string* detail = nullptr,
                                                    j::recovery_options o = {}) {
  std::string d;
  auto r = j::recover(disk, dir, o, d);
  if (detail) *detail = d;
  return r;
}

// A deliberately broken durability layer for the oracle's negative tests.
enum class broken { none, ack_before_fsync, no_directory_fsync };

class broken_file final : public sluice_test::forwarding_file {
 public:
  using forwarding_file::forwarding_file;
  fs::error_code sync_data() override { return {}; }  // "durable" without syncing
};

class broken_fs final : public sluice_test::forwarding_fs {
 public:
  broken_fs(fs::file_system& inner, broken how) : forwarding_fs(inner), how_(how) {}
  fs::error_code sync_dir(const std::string& d) override {
    return how_ == broken::no_directory_fsync ? fs::error_code{} : inner().sync_dir(d);
  }

 private:
  std::unique_ptr<fs::file> wrap(std::unique_ptr<fs::file> f) override {
    if (how_ != broken::ack_before_fsync) return f;
    return std::make_unique<broken_file>(std::move(f));
  }
  broken how_;
};

struct enumeration {
  std::uint64_t operations = 0;
  std::size_t recoveries = 0;
  std::size_t in_doubt_kept = 0;
  std::vector<std::string> violations;
};

// Power loss at every I/O operation of a 24-batch workload with segment rolls, under each damage
// model; recovery must return exactly the acknowledged batches plus at most the batch in doubt.
enumeration enumerate_crashes(broken how) {
  constexpr int batches = 24;
  enumeration out;
  {
    auto disk = fresh_disk();
    broken_fs layer(*disk, how);
    const auto before = disk->operations();
    j::journal_writer w(layer, small_segments(), 1);
    for (int b = 0; b < batches; ++b) BOOST_REQUIRE(append_batch(w, b));
    out.operations = disk->operations() - before;
  }
  for (std::uint64_t crash = 1; crash <= out.operations + 1; ++crash) {
    for (auto model :
         {fs::damage::process_crash, fs::damage::lose_unsynced, fs::damage::torn_unsynced, fs::damage::zero_extend}) {
      auto disk = fresh_disk();
      disk->crash_at(crash);
      std::vector<int> acked;
      int in_doubt = -1;
      {
        broken_fs layer(*disk, how);
        j::journal_writer w(layer, small_segments(), 1);
        for (int b = 0; b < batches; ++b) {
          if (append_batch(w, b)) {
            acked.push_back(b);
          } else {
            in_doubt = b;  // the batch the power failed under
            break;
          }
        }
      }
      auto image = disk->image(model, crash * 7 + static_cast<std::uint64_t>(model));
      const std::string where =
          "crash at op " + std::to_string(crash) + ", damage model " + std::to_string(static_cast<int>(model)) + ": ";
      std::string detail;
      auto r = recover(*image, &detail);
      ++out.recoveries;
      if (!r) {
        out.violations.push_back(where + "recovery failed: " + detail);
        continue;
      }
      const auto got = payloads(*r);
      auto with_doubt = acked;
      if (in_doubt >= 0) with_doubt.push_back(in_doubt);
      if (got != expected_records(acked) && got != expected_records(with_doubt)) {
        out.violations.push_back(where + "recovered " + std::to_string(got.size()) + " records, acknowledged " +
                                 std::to_string(expected_records(acked).size()));
        continue;
      }
      out.in_doubt_kept += got.size() > expected_records(acked).size();
      // Recovery leaves a journal the writer continues and that recovers the same again.
      j::journal_writer w2(*image, small_segments(), r->next_lsn);
      if (!append_batch(w2, 100)) out.violations.push_back(where + "cannot append after recovery");
      auto again = recover(*image, &detail);
      if (!again || again->records.size() != r->records.size() + 2) {  // batch 100 has two records
        out.violations.push_back(where + "second recovery differs: " + detail);
      }
    }
  }
  return out;
}

// Power loss at every I/O operation of a pipelined workload: batches are written `depth` at a
// time between syncs (what the group-commit writer does while a sync runs), with segment rolls.
// Under a process crash recovery returns every written batch (the checkouts that handlers started
// on are never lost); under a power loss every synced batch plus a prefix of the written ones,
// whole batches in order.
enumeration enumerate_pipelined_crashes(broken how, int depth) {
  constexpr int batches = 24;
  enumeration out;
  auto run = [&](fs::file_system& layer, std::vector<int>& written, std::vector<int>& synced) {
    j::journal_writer w(layer, small_segments(), 1);
    std::vector<int> unsynced;
    for (int b = 0; b < batches; ++b) {
      if (!write_batch(w, b)) return;
      written.push_back(b);
      unsynced.push_back(b);
      if (static_cast<int>(unsynced.size()) == depth || b + 1 == batches) {
        if (w.sync().error) return;
        synced.insert(synced.end(), unsynced.begin(), unsynced.end());
        unsynced.clear();
      }
    }
  };
  {
    auto disk = fresh_disk();
    broken_fs layer(*disk, how);
    const auto before = disk->operations();
    std::vector<int> written;
    std::vector<int> synced;
    run(layer, written, synced);
    BOOST_REQUIRE(synced.size() == static_cast<std::size_t>(batches));
    out.operations = disk->operations() - before;
  }
  for (std::uint64_t crash = 1; crash <= out.operations + 1; ++crash) {
    for (auto model :
         {fs::damage::process_crash, fs::damage::lose_unsynced, fs::damage::torn_unsynced, fs::damage::zero_extend}) {
      auto disk = fresh_disk();
      disk->crash_at(crash);
      std::vector<int> written;
      std::vector<int> synced;
      {
        broken_fs layer(*disk, how);
        run(layer, written, synced);
      }
      auto image = disk->image(model, crash * 11 + static_cast<std::uint64_t>(model));
      const std::string where = "depth " + std::to_string(depth) + ", crash at op " + std::to_string(crash) +
                                ", damage model " + std::to_string(static_cast<int>(model)) + ": ";
      std::string detail;
      auto r = recover(*image, &detail);
      ++out.recoveries;
      if (!r) {
        out.violations.push_back(where + "recovery failed: " + detail);
        continue;
      }
      const auto got = payloads(*r);
      bool ok = false;
      if (model == fs::damage::process_crash) {
        ok = got == expected_records(written);
      } else {
        for (std::size_t n = synced.size(); n <= written.size() && !ok; ++n) {
          ok = got ==
               expected_records(std::vector<int>(written.begin(), written.begin() + static_cast<std::ptrdiff_t>(n)));
        }
      }
      if (!ok) {
        out.violations.push_back(where + "recovered " + std::to_string(got.size()) + " records; written " +
                                 std::to_string(expected_records(written).size()) + ", synced " +
                                 std::to_string(expected_records(synced).size()));
        continue;
      }
      out.in_doubt_kept += got.size() > expected_records(synced).size();
      j::journal_writer w2(*image, small_segments(), r->next_lsn);
      if (!append_batch(w2, 100)) out.violations.push_back(where + "cannot append after recovery");
      auto again = recover(*image, &detail);
      if (!again || again->records.size() != r->records.size() + 2) {
        out.violations.push_back(where + "second recovery differs: " + detail);
      }
    }
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(journal_suite)

BOOST_AUTO_TEST_CASE(batches_round_trip_across_segment_rolls) {
  auto disk = fresh_disk();
  std::vector<int> acked;
  {
    j::journal_writer w(*disk, small_segments(), 1);
    for (int b = 0; b < 60; ++b) {
      BOOST_REQUIRE(append_batch(w, b));
      acked.push_back(b);
    }
    BOOST_TEST(w.stats().segments > 5U);
    BOOST_TEST(w.stats().syncs == 60U);
  }
  auto r = recover(*disk);
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(payloads(*r) == expected_records(acked), boost::test_tools::per_element());
  BOOST_TEST(r->next_lsn == r->records.size() + 1);
  BOOST_TEST(r->instance->at(0) == 42);
  // The writer continues where recovery ended, in a new segment.
  {
    j::journal_writer w(*disk, small_segments(), r->next_lsn);
    BOOST_REQUIRE(append_batch(w, 60));
    acked.push_back(60);
  }
  auto again = recover(*disk);
  BOOST_REQUIRE(again.has_value());
  BOOST_TEST(payloads(*again) == expected_records(acked), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_torn_tail_is_cut_durably_before_anything_new_is_appended) {
  auto disk = fresh_disk();
  std::vector<int> acked;
  j::journal_writer w(*disk, small_segments(), 1);
  for (int b = 0; b < 5; ++b) {
    BOOST_REQUIRE(append_batch(w, b));
    acked.push_back(b);
  }
  // Half a batch more, as if the process died in the middle of a write.
  const std::string path = dir + "/" + w.current_segment();
  auto bytes = *disk->contents(path);
  std::string extra;
  j::encode_record(w.next_lsn(), w.next_lsn(), j::record_type::enqueue, j::batch_end, "never acknowledged", extra);
  bytes.insert(bytes.end(), extra.begin(), extra.begin() + static_cast<std::ptrdiff_t>(extra.size() / 2));
  disk->overwrite(path, bytes);
  auto r = recover(*disk);
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(payloads(*r) == expected_records(acked), boost::test_tools::per_element());
  BOOST_REQUIRE(!r->notes.empty());
  BOOST_TEST(r->notes[0].find("torn tail cut") != std::string::npos);
  // The cut survives a power loss.
  auto after = disk->image(fs::damage::lose_unsynced, 1);
  auto again = recover(*after);
  BOOST_REQUIRE(again.has_value());
  BOOST_TEST(again->notes.empty());
}

BOOST_AUTO_TEST_CASE(enospc_fails_the_batch_and_the_writer_serves_again_when_space_returns) {
  auto disk = fresh_disk();
  std::vector<int> acked;
  j::journal_writer w(*disk, small_segments(), 1);
  for (int b = 0; b < 4; ++b) {
    BOOST_REQUIRE(append_batch(w, b));
    acked.push_back(b);
  }
  disk->fail(fs::op_kind::write, 1, ENOSPC, /*persistent=*/true);
  for (int b = 4; b < 8; ++b) BOOST_TEST(!append_batch(w, b));
  disk->clear_faults();
  for (int b = 8; b < 20; ++b) {
    BOOST_REQUIRE(append_batch(w, b));
    acked.push_back(b);
  }
  BOOST_TEST(w.stats().write_failures == 4U);
  for (auto model : {fs::damage::process_crash, fs::damage::lose_unsynced}) {
    auto image = disk->image(model, 3);
    auto r = recover(*image);
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST(payloads(*r) == expected_records(acked), boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(a_failed_fsync_is_never_retried_and_its_batch_never_resurrected) {
  for (bool gate : {false, true}) {
    auto disk = fresh_disk();
    disk->set_fsyncgate(gate);
    std::vector<int> acked;
    j::journal_writer w(*disk, small_segments(), 1);
    for (int b = 0; b < 3; ++b) {
      BOOST_REQUIRE(append_batch(w, b));
      acked.push_back(b);
    }
    disk->fail(fs::op_kind::sync, 1, EIO, false);
    BOOST_TEST(!append_batch(w, 3));  // written, sync failed: its pages may or may not be on disk
    for (int b = 4; b < 10; ++b) {
      BOOST_REQUIRE(append_batch(w, b));
      acked.push_back(b);
    }
    BOOST_TEST(w.stats().sync_failures == 1U);
    for (auto model : {fs::damage::process_crash, fs::damage::lose_unsynced, fs::damage::torn_unsynced}) {
      auto image = disk->image(model, 5);
      auto r = recover(*image);
      BOOST_REQUIRE(r.has_value());
      BOOST_TEST(payloads(*r) == expected_records(acked), boost::test_tools::per_element());
      BOOST_TEST(r->voided > 0U);
    }
  }
}

BOOST_AUTO_TEST_CASE(corruption_in_a_sealed_segment_fails_closed_or_is_salvaged) {
  auto disk = fresh_disk();
  j::journal_writer w(*disk, small_segments(), 1);
  for (int b = 0; b < 30; ++b) BOOST_REQUIRE(append_batch(w, b));
  auto names = *disk->list(dir);
  std::sort(names.begin(), names.end());
  const std::string victim = dir + "/" + names[1];
  auto bytes = *disk->contents(victim);
  bytes[bytes.size() / 2] ^= 0x10;
  disk->overwrite(victim, bytes);
  std::string detail;
  auto r = recover(*disk, &detail);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error() == sluice::errc::journal_corrupt);
  BOOST_TEST(detail.find(names[1]) != std::string::npos);
  BOOST_TEST(detail.find("offset") != std::string::npos);
  j::recovery_options salvage;
  salvage.salvage = true;
  auto s = recover(*disk, &detail, salvage);
  BOOST_REQUIRE(s.has_value());
  BOOST_TEST(!s->unreadable.empty());
  BOOST_TEST(s->records.size() > 0U);
  BOOST_TEST(s->records.back().lsn + 1 == s->next_lsn);
}

BOOST_AUTO_TEST_CASE(a_foreign_segment_and_a_read_error_are_errors) {
  auto disk = fresh_disk();
  {
    j::journal_writer w(*disk, small_segments(), 1);
    for (int b = 0; b < 3; ++b) BOOST_REQUIRE(append_batch(w, b));
  }
  j::recovery_options other;
  other.instance = j::instance_id{};
  auto r = recover(*disk, nullptr, other);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error() == sluice::errc::journal_corrupt);
  disk->fail(fs::op_kind::read, 1, EIO, false);
  std::string detail;
  auto e = recover(*disk, &detail);
  BOOST_REQUIRE(!e.has_value());
  BOOST_TEST(e.error() == boost::system::errc::io_error);
  BOOST_TEST(detail.find("cannot read") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(power_loss_at_every_io_operation_keeps_exactly_the_acknowledged_batches) {
  const auto result = enumerate_crashes(broken::none);
  BOOST_TEST(result.violations.empty(), (result.violations.empty() ? std::string() : result.violations.front()));
  BOOST_TEST_MESSAGE(result.operations << " I/O operations x 4 damage models: " << result.recoveries << " recoveries, "
                                       << result.in_doubt_kept << " kept the batch in doubt");
}

BOOST_AUTO_TEST_CASE(a_pipelined_writer_keeps_every_written_batch_in_a_crash_and_every_synced_one_in_a_power_loss) {
  for (int depth : {2, 3, 5}) {
    const auto result = enumerate_pipelined_crashes(broken::none, depth);
    BOOST_TEST(result.violations.empty(), (result.violations.empty() ? std::string() : result.violations.front()));
    BOOST_TEST_MESSAGE("depth " << depth << ": " << result.operations
                                << " I/O operations x 4 damage models: " << result.recoveries << " recoveries, "
                                << result.in_doubt_kept << " kept written batches beyond the synced ones");
  }
  BOOST_TEST(!enumerate_pipelined_crashes(broken::ack_before_fsync, 3).violations.empty());
}

BOOST_AUTO_TEST_CASE(preallocated_segments_keep_the_same_guarantees_under_power_loss_at_every_io_operation) {
  // 256 bytes ahead in 600-byte segments: zero-fills at every segment start and extensions
  // within segments, each a crash point of its own.
  const preallocating on(256);
  const auto result = enumerate_crashes(broken::none);
  BOOST_TEST(result.violations.empty(), (result.violations.empty() ? std::string() : result.violations.front()));
  const auto pipelined = enumerate_pipelined_crashes(broken::none, 3);
  BOOST_TEST(pipelined.violations.empty(),
             (pipelined.violations.empty() ? std::string() : pipelined.violations.front()));
  BOOST_TEST_MESSAGE(result.operations << " + " << pipelined.operations << " I/O operations x 4 damage models");
  // The oracle still sees a writer that acknowledges before its fsync.
  BOOST_TEST(!enumerate_crashes(broken::ack_before_fsync).violations.empty());
}

BOOST_AUTO_TEST_CASE(a_preallocated_journal_recovers_cleanly_with_its_zeros_in_place) {
  const preallocating on(256);
  auto disk = fresh_disk();
  {
    j::journal_writer w(*disk, small_segments(), 1);
    for (int b = 0; b < 24; ++b) BOOST_REQUIRE(append_batch(w, b));
    BOOST_TEST(w.stats().segments > 2U);
    BOOST_TEST(w.stats().preallocation_failures == 0U);
  }
  std::vector<int> all(24);
  for (int b = 0; b < 24; ++b) all[static_cast<std::size_t>(b)] = b;
  // Every segment, the sealed ones and the newest, ends in zeros beyond its last batch.
  auto names = disk->list(dir);
  BOOST_REQUIRE(names.has_value());
  std::uint64_t zero_bytes = 0;
  for (const auto& n : *names) {
    auto f = disk->open(dir + "/" + n, fs::open_mode::read_only);
    BOOST_REQUIRE(f.has_value());
    auto size = (*f)->size();
    BOOST_REQUIRE(size.has_value());
    std::string bytes(*size, '\0');
    std::size_t got = 0;
    BOOST_REQUIRE(!(*f)->read_at(0, {reinterpret_cast<std::uint8_t*>(bytes.data()), bytes.size()}, got));
    std::size_t end = bytes.size();
    while (end > 0 && bytes[end - 1] == '\0') --end;
    zero_bytes += bytes.size() - end;
  }
  BOOST_TEST(zero_bytes > 256U);
  std::string detail;
  auto r = recover(*disk, &detail);
  BOOST_REQUIRE(r.has_value());
  BOOST_TEST(payloads(*r) == expected_records(all));
  BOOST_TEST(r->notes.empty(), (r->notes.empty() ? std::string() : r->notes.front()));  // no "torn tail cut"
  // And continuing it keeps every record.
  {
    j::journal_writer w(*disk, small_segments(), r->next_lsn);
    BOOST_REQUIRE(append_batch(w, 100));
  }
  auto again = recover(*disk, &detail);
  BOOST_REQUIRE(again.has_value());
  BOOST_TEST(again->records.size() == r->records.size() + 2);
}

BOOST_AUTO_TEST_CASE(a_failed_sync_fails_every_batch_written_to_its_segment_and_none_resurrects) {
  for (bool gate : {false, true}) {
    auto disk = fresh_disk();
    disk->set_fsyncgate(gate);
    std::vector<int> acked;
    j::journal_writer w(*disk, small_segments(), 1);
    BOOST_REQUIRE(append_batch(w, 0));
    acked.push_back(0);
    const auto b1 = write_batch(w, 1);
    const auto b2 = write_batch(w, 2);
    BOOST_REQUIRE(b1 && b2);
    disk->fail(fs::op_kind::sync, 1, EIO, false);
    const auto failed = w.sync();
    BOOST_TEST(failed.error.failed());
    BOOST_TEST(failed.lost_first == b1->first_lsn);
    BOOST_TEST(failed.lost_last == b2->last_lsn);
    BOOST_TEST(failed.durable == b1->first_lsn - 1);
    // The next sync does not touch that segment: its "success" would mean nothing.
    BOOST_TEST(!w.sync().error.failed());
    BOOST_TEST(w.durable_lsn() == b1->first_lsn - 1);
    for (int b = 3; b < 9; ++b) {
      BOOST_REQUIRE(append_batch(w, b));
      acked.push_back(b);
    }
    for (auto model : {fs::damage::process_crash, fs::damage::lose_unsynced, fs::damage::torn_unsynced}) {
      auto image = disk->image(model, 9);
      auto r = recover(*image);
      BOOST_REQUIRE(r.has_value());
      BOOST_TEST(payloads(*r) == expected_records(acked), boost::test_tools::per_element());
      BOOST_TEST(r->voided > 0U);
    }
  }
}

// The oracle is not vacuous: a writer that acknowledges before its data is synced, or that never
// syncs the directory after creating a segment, loses acknowledged batches and is caught.
BOOST_AUTO_TEST_CASE(the_oracle_catches_acknowledging_before_fsync_and_a_missing_directory_fsync) {
  BOOST_TEST(!enumerate_crashes(broken::ack_before_fsync).violations.empty());
  BOOST_TEST(!enumerate_crashes(broken::no_directory_fsync).violations.empty());
}

BOOST_AUTO_TEST_SUITE_END()
