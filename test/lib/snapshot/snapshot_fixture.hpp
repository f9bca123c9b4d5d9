// What the snapshot suites share: a simulated disk with the data directory, events and batches
// of a small workload, a recovery of the keeper plus journal as durable_store does it, and a
// picture of a recovered state to compare with an oracle that folds the same events.
#pragma once

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

namespace snapshot_fixture {

namespace j = sluice::journal;
namespace fs = sluice::fs;
namespace snap = sluice::snapshot;
using sluice::message_id;

inline const std::string data_dir = "/data";
inline const std::string journal_dir = "/data/journal";

inline std::string generation_path(int g) { return data_dir + "/snapshot." + std::to_string(g) + ".sqlite"; }

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

inline j::instance_id instance() {
  j::instance_id id{};
  id[0] = 7;
  id[15] = 9;
  return id;
}

inline std::unique_ptr<fs::simulated_disk> fresh_disk() {
  auto d = std::make_unique<fs::simulated_disk>();
  BOOST_REQUIRE(!d->create_dir(data_dir));
  BOOST_REQUIRE(!d->create_dir(journal_dir));
  return d;
}

inline message_id id_of(int n) { return message_id{1, static_cast<std::uint64_t>(n)}; }

inline j::event enqueue(int n, std::string payload = {}) {
  j::enqueue_event e;
  e.queue = n % 2 == 0 ? "even" : "odd";
  e.m.id = id_of(n);
  e.m.type = "t";
  e.m.payload = payload.empty() ? "payload-" + std::to_string(n) : std::move(payload);
  e.m.dedup_key = n % 5 == 0 ? "k" + std::to_string(n) : "";
  return e;
}

// A comparable picture of a state: per message, what recovery must preserve.
inline std::map<message_id, std::string> picture(const j::recovered_state& s) {
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

inline std::string describe(const std::map<message_id, std::string>& p) {
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

inline boost::system::result<recovered_store> recover(fs::file_system& disk, std::string& detail,
                                                      snap::db_options db = {}) {
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
// The journal entries of `events`, their payloads kept in `payloads`.
inline std::vector<j::entry> entries_of(const std::vector<j::event>& events, std::vector<std::string>& payloads) {
  payloads.assign(events.size(), {});
  std::vector<j::entry> entries;
  for (std::size_t i = 0; i < events.size(); ++i) entries.push_back({j::encode_event(events[i], payloads[i]), {}});
  for (std::size_t i = 0; i < events.size(); ++i) entries[i].payload = payloads[i];
  return entries;
}

inline bool append(j::journal_writer& w, snap::snapshot_keeper& k, const std::vector<j::event>& events) {
  std::vector<std::string> payloads;
  const auto entries = entries_of(events, payloads);
  auto first = w.append(entries);
  if (!first) return false;
  for (std::size_t i = 0; i < events.size(); ++i) k.add(*first + i, events[i]);
  return true;
}

// The same as the running engine feeds the keeper (coro/sluice/persist/group_commit.cpp,
// for_sink): enqueues by where their records are in the journal, the rest by value.
inline bool append_in_journal(j::journal_writer& w, snap::snapshot_keeper& k, const std::vector<j::event>& events) {
  std::vector<std::string> payloads;
  const auto entries = entries_of(events, payloads);
  auto written = w.write(entries);
  if (!written || w.sync().error) return false;
  std::uint64_t at = written->offset;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const std::uint64_t lsn = written->first_lsn + i;
    if (const auto* e = std::get_if<j::enqueue_event>(&events[i])) {
      k.add(e->m.id, j::record_locator{written->segment_base, at, lsn, static_cast<std::uint32_t>(payloads[i].size())});
    } else {
      k.add(lsn, events[i]);
    }
    at += j::record_header_size + payloads[i].size();
  }
  return true;
}

inline j::writer_options writer_for(std::uint64_t segment_bytes = 700) {
  j::writer_options o;
  o.dir = journal_dir;
  o.segment_bytes = segment_bytes;
  o.instance = instance();
  return o;
}

// Batch i of the crash workload: enqueues, checkouts, acks, retries, dead letters, replays and
// replacements over a sliding window of messages.
inline std::vector<j::event> batch(int i) {
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

inline std::map<message_id, std::string> fold(const std::vector<std::vector<j::event>>& batches,
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

}  // namespace snapshot_fixture
