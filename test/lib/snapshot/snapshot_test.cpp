// Snapshots on the simulated disk: rows round-trip through SQLite (over the file-layer VFS); a
// delta writes each touched message once and can be written twice; the two generations alternate
// and the journal is cut only behind the older one; a damaged newest generation costs replay, not
// messages; a failed commit keeps the journal; and crash-point enumeration of a workload with
// snapshot cycles, under each damage model, against an exact oracle. A negative test proves the
// oracle notices snapshots committed with synchronous=NORMAL.
#include "../../print.hpp"
#include "sluice/error.hpp"
#include "sluice/fs/simulated_disk.hpp"
#include "sluice/journal/journal_recovery.hpp"
#include "sluice/journal/journal_state.hpp"
#include "sluice/journal/journal_writer.hpp"
#include "sluice/journal/record_codec.hpp"
#include "sluice/snapshot/snapshot_keeper.hpp"
#include "sluice/snapshot/sqlite_vfs.hpp"

#include <sqlite3.h>
#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace j = sluice::journal;
namespace fs = sluice::fs;
namespace snap = sluice::snapshot;
using sluice::message_id;

namespace {

const std::string data_dir = "/data";
const std::string journal_dir = "/data/journal";

std::string generation_path(int g) { return data_dir + "/snapshot." + std::to_string(g) + ".sqlite"; }

// A generation opened with SQLite directly, as the engine opens it (exclusive locking: the VFS
// keeps no shared-memory WAL index).
struct raw_generation {
  sqlite3* db = nullptr;
  raw_generation(snap::sqlite_vfs& vfs, int g) {
    BOOST_REQUIRE(sqlite3_open_v2(generation_path(g).c_str(), &db, SQLITE_OPEN_READWRITE, vfs.name()) == SQLITE_OK);
    BOOST_REQUIRE(sqlite3_exec(db, "PRAGMA locking_mode=EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK);
  }
  ~raw_generation() { sqlite3_close(db); }
  raw_generation(const raw_generation&) = delete;
  raw_generation& operator=(const raw_generation&) = delete;
};

j::instance_id instance() {
  j::instance_id id{};
  id[0] = 7;
  id[15] = 9;
  return id;
}

std::unique_ptr<fs::simulated_disk> fresh_disk() {
  auto d = std::make_unique<fs::simulated_disk>();
  BOOST_REQUIRE(!d->create_dir(data_dir));
  BOOST_REQUIRE(!d->create_dir(journal_dir));
  return d;
}

message_id id_of(int n) { return message_id{1, static_cast<std::uint64_t>(n)}; }

j::event enqueue(int n, std::string payload = {}) {
  j::enqueue_event e;
  e.queue = n % 2 == 0 ? "even" : "odd";
  e.m.id = id_of(n);
  e.m.type = "t";
  e.m.payload = payload.empty() ? "payload-" + std::to_string(n) : std::move(payload);
  e.m.dedup_key = n % 5 == 0 ? "k" + std::to_string(n) : "";
  return e;
}

// A comparable picture of a state: per message, what recovery must preserve.
std::map<message_id, std::string> picture(const j::recovered_state& s) {
  std::map<message_id, std::string> out;
  auto add = [&](const std::vector<j::durable_message>& v, const char* place) {
    for (const auto& d : v) {
      std::ostringstream o;
      o << place << " q=" << d.queue << " a=" << d.m->attempt << " e=" << d.m->lease_epoch << " r=" << d.m->replays
        << " p=" << d.m->payload << " due=" << d.due.time_since_epoch().count();
      if (std::string(place) == "dead") o << " why=" << d.letter->cause.what;
      out[d.m->id] = o.str();
    }
  };
  add(s.ready, "ready");
  add(s.scheduled, "scheduled");
  add(s.in_flight, "in_flight");
  add(s.dead, "dead");
  return out;
}

std::string describe(const std::map<message_id, std::string>& p) {
  std::string out;
  for (const auto& [id, s] : p) out += id.to_string().substr(20) + ":" + s + "\n";
  return out;
}

// The durable_store's recovery, at the lib level: snapshot, then the journal after it.
struct recovered_store {
  std::unique_ptr<snap::snapshot_keeper> keeper;
  j::recovered_state state;
  std::uint64_t next_lsn = 1;
  std::vector<std::string> notes;
};

boost::system::result<recovered_store> recover(fs::file_system& disk, std::string& detail, snap::db_options db = {}) {
  recovered_store out;
  snap::keeper_options ko;
  ko.data_dir = data_dir;
  ko.journal_dir = journal_dir;
  ko.instance = instance();
  ko.db = db;
  j::journal_state rebuilt;
  snap::keeper_recovery kr;
  auto keeper = snap::snapshot_keeper::open(disk, ko, rebuilt, kr, detail);
  if (!keeper) return keeper.error();
  out.notes = kr.notes;
  j::recovery_options ro;
  ro.instance = instance();
  ro.covered = (*keeper)->oldest_covered_lsn();
  auto journal = j::recover(disk, journal_dir, ro, detail);
  if (!journal) return journal.error();
  if (auto ec = (*keeper)->align(journal->first_lsn, out.notes, detail)) return ec;
  for (const auto& r : journal->records) {
    auto e = j::decode_event(r.type, r.payload);
    if (!e) {
      detail = "undecodable record " + std::to_string(r.lsn);
      return make_error_code(sluice::errc::journal_corrupt);
    }
    (*keeper)->add(r.lsn, *e);
    if (r.lsn > kr.covered_lsn) rebuilt.apply(r.lsn, *e);
  }
  out.state = rebuilt.recovered();
  out.next_lsn = std::max(journal->next_lsn, (*keeper)->covered_lsn() + 1);
  out.keeper = std::move(*keeper);
  return out;
}

// Appends events as one batch and tells the keeper (as the group-commit writer's sink does).
bool append(j::journal_writer& w, snap::snapshot_keeper& k, const std::vector<j::event>& events) {
  std::vector<std::string> payloads(events.size());
  std::vector<j::entry> entries;
  for (std::size_t i = 0; i < events.size(); ++i) entries.push_back({j::encode_event(events[i], payloads[i]), {}});
  for (std::size_t i = 0; i < events.size(); ++i) entries[i].payload = payloads[i];
  auto first = w.append(entries);
  if (!first) return false;
  for (std::size_t i = 0; i < events.size(); ++i) k.add(*first + i, events[i]);
  return true;
}

j::writer_options writer_for(std::uint64_t segment_bytes = 700) {
  j::writer_options o;
  o.dir = journal_dir;
  o.segment_bytes = segment_bytes;
  o.instance = instance();
  return o;
}

// Batch i of the crash workload: enqueues, checkouts, acks, retries, dead letters, replays and
// replacements over a sliding window of messages.
std::vector<j::event> batch(int i) {
  std::vector<j::event> out;
  out.push_back(enqueue(2 * i));
  out.push_back(enqueue(2 * i + 1));
  if (i >= 1) out.push_back(j::checkout_event{id_of(2 * i - 2), 1, static_cast<std::uint64_t>(i)});
  if (i >= 2) out.push_back(j::ack_event{id_of(2 * i - 4)});
  if (i >= 1 && i % 3 == 0) {
    j::reschedule_event r;
    r.id = id_of(2 * i - 1);
    r.attempt = 1;
    r.due = sluice::sys_time(std::chrono::seconds(1000 + i));
    out.push_back(r);
  }
  if (i >= 2 && i % 4 == 2) {
    j::dead_letter_event d;
    d.id = id_of(2 * i - 3);
    d.cause.what = "boom " + std::to_string(i);
    out.push_back(d);
  }
  if (i >= 4 && i % 4 == 0) out.push_back(j::replay_event{id_of(2 * i - 7), i % 8 == 0});
  if (i >= 1 && i % 5 == 1) out.push_back(j::replace_event{id_of(2 * i - 1), "replaced-" + std::to_string(i), {}});
  return out;
}

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
    if (append(w, *store->keeper, events)) {
      out.acknowledged.push_back(events);
    } else if (out.in_doubt.empty()) {
      out.in_doubt = events;
      break;
    }
    if (i % 3 == 2) (void)store->keeper->snapshot(detail);
  }
  return out;
}

std::map<message_id, std::string> fold(const std::vector<std::vector<j::event>>& batches,
                                       const std::vector<j::event>* extra = nullptr) {
  j::journal_state s;
  std::uint64_t lsn = 0;
  for (const auto& b : batches) {
    for (const auto& e : b) s.apply(++lsn, e);
  }
  if (extra != nullptr) {
    for (const auto& e : *extra) s.apply(++lsn, e);
  }
  return picture(s.recovered());
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

BOOST_AUTO_TEST_SUITE(snapshot_suite)

BOOST_AUTO_TEST_CASE(rows_of_every_state_round_trip_through_sqlite_on_the_file_layer) {
  auto disk = fresh_disk();
  std::string detail;
  j::journal_state expected;
  {
    auto store = recover(*disk, detail);
    BOOST_REQUIRE_MESSAGE(store, detail);
    j::journal_writer w(*disk, writer_for(1 << 20), store->next_lsn);
    std::vector<j::event> events = {enqueue(1), enqueue(2), enqueue(3), enqueue(4, std::string(3000, 'z'))};
    j::reschedule_event r;
    r.id = id_of(2);
    r.attempt = 2;
    r.due = sluice::sys_time(std::chrono::seconds(123));
    events.push_back(j::checkout_event{id_of(1), 1, 5});
    events.push_back(r);
    j::dead_letter_event d;
    d.id = id_of(3);
    d.reason = sluice::dead_letter_reason::permanent_failure;
    d.cause = {"std::runtime_error", "no such card"};
    events.push_back(d);
    BOOST_REQUIRE(append(w, *store->keeper, events));
    std::uint64_t lsn = 0;
    for (const auto& e : events) expected.apply(++lsn, e);
    auto s = store->keeper->snapshot(detail);
    BOOST_REQUIRE_MESSAGE(s, detail);
    BOOST_TEST(s->committed);
    BOOST_TEST(s->counts.written == 4U);
  }
  auto again = recover(*disk, detail);
  BOOST_REQUIRE_MESSAGE(again, detail);
  BOOST_TEST(describe(picture(again->state)) == describe(picture(expected.recovered())));
  BOOST_TEST((again->state.dead.at(0).letter->reason == sluice::dead_letter_reason::permanent_failure));
  BOOST_TEST(again->state.dead.at(0).letter->cause.error_type == "std::runtime_error");
}

BOOST_AUTO_TEST_CASE(a_message_enqueued_and_acknowledged_between_snapshots_is_never_written) {
  snap::snapshot_delta delta;
  delta.apply(1, enqueue(1));
  delta.apply(2, j::checkout_event{id_of(1), 1, 1});
  delta.apply(3, j::ack_event{id_of(1)});
  delta.apply(4, enqueue(2));
  BOOST_TEST(delta.touched() == 1U);
  // After a failed commit the first row may be in the database: its end must then be written.
  delta.failed();
  delta.apply(5, j::ack_event{id_of(2)});
  BOOST_TEST(delta.touched() == 1U);  // a tombstone for 2
}

BOOST_AUTO_TEST_CASE(generations_alternate_and_the_journal_is_cut_only_behind_the_older_one) {
  auto disk = fresh_disk();
  std::string detail;
  auto store = recover(*disk, detail);
  BOOST_REQUIRE_MESSAGE(store, detail);
  j::journal_writer w(*disk, writer_for(), store->next_lsn);
  auto segments = [&] { return disk->list(journal_dir)->size(); };
  std::vector<std::uint64_t> covered;
  std::vector<int> generations;
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 6; ++i) BOOST_REQUIRE(append(w, *store->keeper, batch(round * 6 + i)));
    const auto before = segments();
    auto s = store->keeper->snapshot(detail);
    BOOST_REQUIRE_MESSAGE(s, detail);
    covered.push_back(s->covered_lsn);
    generations.push_back(s->generation);
    BOOST_TEST(store->keeper->oldest_covered_lsn() == (round == 0 ? 0 : covered[round - 1]));
    if (round == 0) BOOST_TEST(s->segments_deleted == 0U);  // the other generation still covers nothing
    if (round >= 1) BOOST_TEST(s->segments_deleted > 0U);
    BOOST_TEST(segments() == before - s->segments_deleted);
  }
  BOOST_TEST((generations == std::vector<int>{0, 1, 0, 1}));
  // The oldest remaining segment still reaches back to the older generation.
  auto names = *disk->list(journal_dir);
  std::sort(names.begin(), names.end());
  BOOST_TEST(*j::parse_segment_file_name(names.front()) <= store->keeper->oldest_covered_lsn() + 1);
  // Nothing more to write: a snapshot is a no-op.
  (void)store->keeper->snapshot(detail);
  auto idle = store->keeper->snapshot(detail);
  BOOST_REQUIRE(idle);
  BOOST_TEST(!idle->committed);
}

BOOST_AUTO_TEST_CASE(a_damaged_newest_snapshot_costs_replay_time_not_messages) {
  for (const bool flip_a_row : {true, false}) {
    auto disk = fresh_disk();
    std::string detail;
    std::map<message_id, std::string> expected;
    int newest = -1;
    {
      auto store = recover(*disk, detail);
      BOOST_REQUIRE_MESSAGE(store, detail);
      j::journal_writer w(*disk, writer_for(), store->next_lsn);
      std::vector<std::vector<j::event>> all;
      for (int i = 0; i < 12; ++i) {
        all.push_back(batch(i));
        BOOST_REQUIRE(append(w, *store->keeper, all.back()));
        if (i % 4 == 3) {
          auto s = store->keeper->snapshot(detail);
          BOOST_REQUIRE_MESSAGE(s, detail);
          newest = s->generation;
        }
      }
      expected = fold(all);
    }
    const std::string victim = generation_path(newest);
    auto bytes = *disk->contents(victim);
    auto wal = disk->contents(victim + "-wal");
    if (flip_a_row) {
      // A payload byte inside a row, wherever SQLite put it (the WAL holds the newest pages).
      auto& target = wal && !wal->empty() ? *wal : bytes;
      const std::string needle = "payload-";
      auto it = std::search(target.begin(), target.end(), needle.begin(), needle.end());
      BOOST_REQUIRE(it != target.end());
      it[needle.size()] ^= 0x01;
      disk->overwrite(wal && !wal->empty() ? victim + "-wal" : victim, target);
    } else {
      std::fill(bytes.begin(), bytes.end(), std::uint8_t{0x5a});  // not a database at all
      disk->overwrite(victim, bytes);
      if (wal) disk->overwrite(victim + "-wal", {});
    }
    auto r = recover(*disk, detail);
    BOOST_REQUIRE_MESSAGE(r, detail);
    BOOST_TEST(describe(picture(r->state)) == describe(expected));
    bool set_aside = false;
    for (const auto& n : r->notes) set_aside |= n.find("set aside") != std::string::npos;
    BOOST_TEST(set_aside);
    // Both generations are sound again: a second recovery needs no repair.
    r.value().keeper.reset();
    auto again = recover(*disk, detail);
    BOOST_REQUIRE_MESSAGE(again, detail);
    BOOST_TEST(describe(picture(again->state)) == describe(expected));
  }
}

BOOST_AUTO_TEST_CASE(a_row_found_damaged_by_a_commit_is_set_aside_and_rebuilt_from_the_other_generation) {
  auto disk = fresh_disk();
  std::string detail;
  std::vector<std::vector<j::event>> all;
  {
    auto store = recover(*disk, detail);
    BOOST_REQUIRE_MESSAGE(store, detail);
    j::journal_writer w(*disk, writer_for(), store->next_lsn);
    for (int i = 0; i < 12; ++i) {
      all.push_back(batch(i));
      BOOST_REQUIRE(append(w, *store->keeper, all.back()));
    }
    BOOST_REQUIRE(store->keeper->snapshot(detail));  // generation 0
    all.push_back(batch(12));
    BOOST_REQUIRE(append(w, *store->keeper, all.back()));
    BOOST_REQUIRE(store->keeper->snapshot(detail));  // generation 1, newer: both hold message 3
  }
  // Damage message 3's row in generation 0, the older one (only opened, not read, at start).
  const std::string victim = generation_path(0);
  const std::string needle = "payload-3";
  int flipped = 0;
  for (const auto& file : {victim, victim + "-wal"}) {
    auto bytes = disk->contents(file);
    if (!bytes) continue;
    for (auto it = std::search(bytes->begin(), bytes->end(), needle.begin(), needle.end()); it != bytes->end();
         it = std::search(it + 1, bytes->end(), needle.begin(), needle.end())) {
      it[needle.size() - 1] ^= 0x01;
      ++flipped;
    }
    disk->overwrite(file, *bytes);
  }
  BOOST_REQUIRE(flipped > 0);
  auto store = recover(*disk, detail);
  BOOST_REQUIRE_MESSAGE(store, detail);
  j::journal_writer w(*disk, writer_for(), store->next_lsn);
  all.push_back({j::checkout_event{id_of(3), 1, 99}});  // the next commit of generation 0 reads row 3
  BOOST_REQUIRE(append(w, *store->keeper, all.back()));
  auto failed = store->keeper->snapshot(detail);
  BOOST_REQUIRE(!failed);
  BOOST_TEST(failed.error() == sluice::errc::snapshot_corrupt);
  BOOST_TEST(detail.find("rebuilt from") != std::string::npos, detail);
  auto s = store->keeper->snapshot(detail);
  BOOST_REQUIRE_MESSAGE(s, detail);
  BOOST_TEST(s->committed);
  BOOST_TEST(s->generation == 0);
  store->keeper.reset();
  auto again = recover(*disk, detail);
  BOOST_REQUIRE_MESSAGE(again, detail);
  BOOST_TEST(describe(picture(again->state)) == describe(fold(all)));
  BOOST_TEST(again->notes.empty());  // both generations sound
}

BOOST_AUTO_TEST_CASE(a_failed_snapshot_keeps_the_journal_and_the_next_one_catches_up) {
  for (const int err : {ENOSPC, EIO}) {
    auto disk = fresh_disk();
    std::string detail;
    std::vector<std::vector<j::event>> all;
    {
      auto store = recover(*disk, detail);
      BOOST_REQUIRE_MESSAGE(store, detail);
      j::journal_writer w(*disk, writer_for(), store->next_lsn);
      for (int i = 0; i < 8; ++i) {
        all.push_back(batch(i));
        BOOST_REQUIRE(append(w, *store->keeper, all.back()));
      }
      BOOST_REQUIRE(store->keeper->snapshot(detail));
      auto oldest = [&] {
        auto names = *disk->list(journal_dir);
        return *std::min_element(names.begin(), names.end());
      };
      const auto kept = oldest();
      // Every write to the snapshot databases fails; the journal is untouched.
      disk->fail(fs::op_kind::write, 1, err, /*persistent=*/true, ".sqlite");
      for (int i = 8; i < 16; ++i) {
        all.push_back(batch(i));
        BOOST_REQUIRE(append(w, *store->keeper, all.back()));
        auto s = store->keeper->snapshot(detail);
        BOOST_TEST(!s);
        if (!s) BOOST_TEST(s.error() == (err == ENOSPC ? sluice::errc::disk_full : sluice::errc::io_error));
      }
      BOOST_TEST(oldest() == kept);  // nothing deleted while failing
      disk->clear_faults();
      auto s = store->keeper->snapshot(detail);
      BOOST_REQUIRE_MESSAGE(s, detail);
      BOOST_TEST(s->committed);
      BOOST_REQUIRE(store->keeper->snapshot(detail));
      BOOST_TEST(store->keeper->oldest_covered_lsn() == store->keeper->covered_lsn());
    }
    auto r = recover(*disk, detail);
    BOOST_REQUIRE_MESSAGE(r, detail);
    BOOST_TEST(describe(picture(r->state)) == describe(fold(all)));
  }
}

BOOST_AUTO_TEST_CASE(a_commit_reported_failed_whose_data_landed_is_written_again_to_the_same_rows) {
  auto disk = fresh_disk();
  std::string detail;
  std::vector<std::vector<j::event>> all;
  auto store = recover(*disk, detail);
  BOOST_REQUIRE_MESSAGE(store, detail);
  j::journal_writer w(*disk, writer_for(), store->next_lsn);
  for (int i = 0; i < 9; ++i) {
    all.push_back(batch(i));
    BOOST_REQUIRE(append(w, *store->keeper, all.back()));
    if (i == 3) BOOST_REQUIRE(store->keeper->snapshot(detail));
  }
  // The WAL's fsync fails: SQLite reports the commit failed, but its frames were written (and
  // a process crash keeps them: the commit "landed").
  disk->fail(fs::op_kind::sync, 1, EIO, /*persistent=*/false, "-wal");
  auto failed = store->keeper->snapshot(detail);
  BOOST_REQUIRE(!failed);
  disk->clear_faults();
  {
    auto landed = disk->image(fs::damage::process_crash, 1);
    auto r = recover(*landed, detail);
    BOOST_REQUIRE_MESSAGE(r, detail);
    BOOST_TEST(describe(picture(r->state)) == describe(fold(all)));
  }
  // More events, including ends of messages the failed commit may hold, then the retry.
  for (int i = 9; i < 14; ++i) {
    all.push_back(batch(i));
    BOOST_REQUIRE(append(w, *store->keeper, all.back()));
  }
  auto s = store->keeper->snapshot(detail);
  BOOST_REQUIRE_MESSAGE(s, detail);
  BOOST_REQUIRE(store->keeper->snapshot(detail));
  store->keeper.reset();
  auto r = recover(*disk, detail);
  BOOST_REQUIRE_MESSAGE(r, detail);
  BOOST_TEST(describe(picture(r->state)) == describe(fold(all)));
  BOOST_TEST(r->notes.empty());  // count and CRC sum agree: no phantom rows
}

BOOST_AUTO_TEST_CASE(a_version_1_snapshot_counted_by_triggers_is_migrated_at_open) {
  auto disk = fresh_disk();
  std::string detail;
  std::vector<std::vector<j::event>> all;
  {
    auto store = recover(*disk, detail);
    BOOST_REQUIRE_MESSAGE(store, detail);
    j::journal_writer w(*disk, writer_for(1 << 20), store->next_lsn);
    for (int i = 0; i < 6; ++i) {
      all.push_back(batch(i));
      BOOST_REQUIRE(append(w, *store->keeper, all.back()));
      if (i == 2 || i == 5) BOOST_REQUIRE(store->keeper->snapshot(detail));  // both generations hold rows
    }
  }
  // Turn both generations into what version 1 wrote: the same rows and meta, kept by triggers.
  {
    snap::sqlite_vfs vfs(*disk);
    for (int g = 0; g < 2; ++g) {
      const raw_generation raw(vfs, g);
      const int rc = sqlite3_exec(raw.db,
                                  "PRAGMA journal_mode=WAL; BEGIN;"
                                  "CREATE TRIGGER messages_counted_insert AFTER INSERT ON messages BEGIN"
                                  "  UPDATE meta SET value = value + 1 WHERE key = 'rows';"
                                  "  UPDATE meta SET value = value + NEW.crc WHERE key = 'crc_sum'; END;"
                                  "CREATE TRIGGER messages_counted_delete AFTER DELETE ON messages BEGIN"
                                  "  UPDATE meta SET value = value - 1 WHERE key = 'rows';"
                                  "  UPDATE meta SET value = value - OLD.crc WHERE key = 'crc_sum'; END;"
                                  "CREATE TRIGGER messages_counted_update AFTER UPDATE OF crc ON messages BEGIN"
                                  "  UPDATE meta SET value = value - OLD.crc + NEW.crc WHERE key = 'crc_sum'; END;"
                                  "UPDATE meta SET value = 1 WHERE key = 'format_version'; COMMIT;",
                                  nullptr, nullptr, nullptr);
      BOOST_TEST(rc == SQLITE_OK, sqlite3_errmsg(raw.db));
    }
  }
  // Opened by this build: migrated (a trigger left behind would count every row twice), then
  // inserts, updates and erasures into both generations.
  {
    auto store = recover(*disk, detail);
    BOOST_REQUIRE_MESSAGE(store, detail);
    BOOST_TEST(store->notes.empty());
    j::journal_writer w(*disk, writer_for(1 << 20), store->next_lsn);
    for (int i = 6; i < 12; ++i) {
      all.push_back(batch(i));
      BOOST_REQUIRE(append(w, *store->keeper, all.back()));
      if (i == 8 || i == 11) BOOST_REQUIRE(store->keeper->snapshot(detail));
    }
  }
  auto r = recover(*disk, detail);
  BOOST_REQUIRE_MESSAGE(r, detail);
  BOOST_TEST(describe(picture(r->state)) == describe(fold(all)));
  BOOST_TEST(r->notes.empty());
  r->keeper.reset();
  snap::sqlite_vfs vfs(*disk);
  for (int g = 0; g < 2; ++g) {  // count and CRC sum agree in both generations, not only the loaded one
    auto db = snap::snapshot_db::open(vfs, generation_path(g), instance(), {}, detail);
    BOOST_REQUIRE_MESSAGE(db, detail);
    BOOST_TEST((*db)->meta().format_version == snap::snapshot_format_version);
    BOOST_TEST(!(*db)->load([](j::durable_message&&) {}, detail), detail);
    db->reset();
    const raw_generation raw(vfs, g);  // and no trigger is left to write meta twice per row
    sqlite3_stmt* q = nullptr;
    BOOST_REQUIRE(sqlite3_prepare_v2(raw.db, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'", -1, &q,
                                     nullptr) == SQLITE_OK);
    BOOST_REQUIRE(sqlite3_step(q) == SQLITE_ROW);
    BOOST_TEST(sqlite3_column_int(q, 0) == 0);
    sqlite3_finalize(q);
  }
}

BOOST_AUTO_TEST_CASE(a_foreign_snapshot_fails_closed) {
  auto disk = fresh_disk();
  std::string detail;
  {
    auto store = recover(*disk, detail);
    BOOST_REQUIRE_MESSAGE(store, detail);
  }
  snap::keeper_options ko;
  ko.data_dir = data_dir;
  ko.journal_dir = journal_dir;
  ko.instance[3] = 1;  // another instance
  j::journal_state state;
  snap::keeper_recovery kr;
  auto k = snap::snapshot_keeper::open(*disk, ko, state, kr, detail);
  BOOST_TEST(!k);
  if (!k) BOOST_TEST(k.error() == sluice::errc::snapshot_corrupt);
  BOOST_TEST(detail.find("another instance") != std::string::npos);
  BOOST_TEST(disk->contents(generation_path(0)).has_value());  // not set aside
}

BOOST_AUTO_TEST_CASE(crash_at_every_operation_of_snapshot_cycles_loses_nothing) {
  BOOST_TEST(enumerate_crashes({}, /*report=*/true) == 0);
}

BOOST_AUTO_TEST_CASE(the_oracle_catches_snapshots_committed_without_a_full_sync) {
  snap::db_options broken;
  broken.full_sync = false;
  BOOST_TEST(enumerate_crashes(broken, /*report=*/false) > 0);
}

BOOST_AUTO_TEST_SUITE_END()
