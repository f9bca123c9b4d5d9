// Snapshots on the simulated disk: rows round-trip through SQLite (over the file-layer VFS); a
// delta writes each touched message once and can be written twice; the two generations alternate
// and the journal is cut only behind the older one; a damaged newest generation costs replay, not
// messages; a failed commit keeps the journal; a version-1 snapshot is migrated; a foreign one
// fails closed; enqueues the engine leaves in the journal are read back at commit, and one that
// changed there fails the commit. Crash-point enumeration is in snapshot_crash_test.cpp.
#include "snapshot_fixture.hpp"

#include <algorithm>

#include <sqlite3.h>
#include <boost/test/unit_test.hpp>

using namespace snapshot_fixture;

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

BOOST_AUTO_TEST_CASE(enqueues_left_in_the_journal_are_read_back_at_commit) {
  // The engine's feed: enqueues only by position (across segment rolls: 700-byte segments), the
  // events after them by value, snapshots in between cutting the journal; recovery must find
  // exactly what an oracle folding the same events finds.
  auto disk = fresh_disk();
  std::string detail;
  std::vector<std::vector<j::event>> all;
  {
    auto store = recover(*disk, detail);
    BOOST_REQUIRE_MESSAGE(store, detail);
    j::journal_writer w(*disk, writer_for(), store->next_lsn);
    std::uint64_t deleted = 0;
    for (int i = 0; i < 30; ++i) {
      all.push_back(batch(i));
      BOOST_REQUIRE(append_in_journal(w, *store->keeper, all.back()));
      if (i % 4 == 3) {
        auto s = store->keeper->snapshot(detail);
        BOOST_REQUIRE_MESSAGE(s, detail);
        BOOST_TEST(s->committed);
        deleted += s->segments_deleted;
      }
    }
    BOOST_TEST(deleted > 0U);  // the read-back never needs a segment the snapshots let go
    auto s = store->keeper->snapshot(detail);
    BOOST_REQUIRE_MESSAGE(s, detail);
  }
  auto r = recover(*disk, detail);
  BOOST_REQUIRE_MESSAGE(r, detail);
  BOOST_TEST(describe(picture(r->state)) == describe(fold(all)));
}

BOOST_AUTO_TEST_CASE(an_enqueue_that_changed_in_the_journal_fails_the_commit_not_the_rows) {
  // A byte of an enqueue's payload flips after it was fed: the commit that would read it back
  // fails with journal_corrupt naming the LSN, keeps its delta, and writes nothing wrong; once the
  // byte is back, the next commit writes the message as it was enqueued.
  auto disk = fresh_disk();
  std::string detail;
  auto store = recover(*disk, detail);
  BOOST_REQUIRE_MESSAGE(store, detail);
  j::journal_writer w(*disk, writer_for(1 << 20), store->next_lsn);
  const std::vector<j::event> events{enqueue(1, "the first payload"), enqueue(2, "the second payload")};
  BOOST_REQUIRE(append_in_journal(w, *store->keeper, events));
  const std::string segment = journal_dir + "/" + w.current_segment();
  auto read_all = [&] {
    auto f = disk->open(segment, fs::open_mode::read_only);
    BOOST_REQUIRE(f);
    std::vector<std::uint8_t> bytes(1 << 16);
    std::size_t got = 0;
    BOOST_REQUIRE(!(*f)->read_at(0, bytes, got));
    bytes.resize(got);
    return bytes;
  };
  const auto good = read_all();
  const std::string needle = "the second payload";
  const auto at = std::search(good.begin(), good.end(), needle.begin(), needle.end());
  BOOST_REQUIRE(at != good.end());
  auto bad = good;
  bad[static_cast<std::size_t>(at - good.begin())] ^= 0x20U;
  disk->overwrite(segment, bad);
  auto failed = store->keeper->snapshot(detail);
  BOOST_REQUIRE(!failed);
  BOOST_TEST(failed.error() == sluice::errc::journal_corrupt);
  BOOST_TEST(detail.find("LSN 2") != std::string::npos, detail);
  BOOST_TEST(detail.find("payload CRC") != std::string::npos, detail);
  disk->overwrite(segment, good);
  auto s = store->keeper->snapshot(detail);
  BOOST_REQUIRE_MESSAGE(s, detail);
  BOOST_TEST(s->counts.written == 2U);
  store.value().keeper.reset();
  auto r = recover(*disk, detail);
  BOOST_REQUIRE_MESSAGE(r, detail);
  j::journal_state oracle;
  oracle.apply(1, events[0]);
  oracle.apply(2, events[1]);
  BOOST_TEST(describe(picture(r->state)) == describe(picture(oracle.recovered())));
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

BOOST_AUTO_TEST_SUITE_END()
