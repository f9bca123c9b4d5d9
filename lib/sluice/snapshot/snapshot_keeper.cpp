// Two snapshot generations and journal truncation (see snapshot_keeper.hpp).
#include "sluice/snapshot/snapshot_keeper.hpp"

#include "sluice/error.hpp"

#include <algorithm>

namespace sluice::snapshot {

std::string snapshot_keeper::path(int generation) const {
  return options_.data_dir + "/snapshot." + std::to_string(generation) + ".sqlite";
}

error_code snapshot_keeper::open_generation(int g, std::string& detail) {
  dbs_[g].reset();
  auto db = snapshot_db::open(*vfs_, path(g), options_.instance, options_.db, detail);
  if (!db) return db.error();
  dbs_[g] = std::move(*db);
  return {};
}

// Renames a damaged generation (and its WAL) aside for inspection and creates an empty one.
error_code snapshot_keeper::set_aside(int g, std::vector<std::string>& notes) {
  dbs_[g].reset();
  const auto stamp = std::to_string(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  const std::string p = path(g);
  for (const std::string& suffix : {std::string(), std::string("-wal")}) {
    std::string from = p;
    from += suffix;
    std::string aside = from;
    aside += ".damaged-";
    aside += stamp;
    if (auto ec = files_->rename(from, aside); ec && ec != boost::system::errc::no_such_file_or_directory) {
      return ec;
    }
  }
  notes.push_back("snapshot " + p + " set aside as " + p + ".damaged-" + stamp);
  if (auto ec = files_->sync_dir(options_.data_dir)) return ec;
  std::string detail;
  if (auto ec = open_generation(g, detail)) {
    notes.push_back(detail);
    return ec;
  }
  return {};
}

boost::system::result<std::unique_ptr<snapshot_keeper>> snapshot_keeper::open(fs::file_system& files,
                                                                              const keeper_options& options,
                                                                              journal::journal_state& state,
                                                                              keeper_recovery& out,
                                                                              std::string& detail) {
  std::unique_ptr<snapshot_keeper> k(new snapshot_keeper());
  k->files_ = &files;
  k->options_ = options;
  k->vfs_ = std::make_unique<sqlite_vfs>(files);
  std::array<bool, 2> sound{false, false};
  for (int g = 0; g < 2; ++g) {
    std::string why;
    auto ec = k->open_generation(g, why);
    if (ec == errc::snapshot_corrupt) {
      out.notes.push_back(why);
      ec = k->set_aside(g, out.notes);
      if (ec) {
        detail = "cannot replace the damaged snapshot " + k->path(g) + ": " + ec.message();
        return ec;
      }
      continue;  // empty now: rebuilt below from the other generation
    }
    if (ec) {
      detail = why;
      return ec;
    }
    if (k->dbs_[g]->meta().instance != options.instance) {
      // Not damage: files of another data directory. Touch nothing and let the operator look.
      detail = "snapshot " + k->path(g) + " belongs to another instance than " + options.data_dir + "/INSTANCE";
      return make_error_code(errc::snapshot_corrupt);
    }
    sound[g] = true;
  }
  // Load the newest sound generation; if its rows fail their checks, the other one.
  int loaded = -1;
  for (int attempt = 0; attempt < 2 && loaded < 0; ++attempt) {
    int g = -1;
    for (int c = 0; c < 2; ++c) {
      if (sound[c] && (g < 0 || k->dbs_[c]->meta().covered_lsn > k->dbs_[g]->meta().covered_lsn)) g = c;
    }
    if (g < 0) break;
    journal::journal_state rows;
    std::uint64_t n = 0;
    std::string why;
    auto ec = k->dbs_[g]->load(
        [&](journal::durable_message&& d) {
          rows.load(std::move(d));
          ++n;
        },
        why);
    if (!ec) {
      state = std::move(rows);
      out.rows = n;
      loaded = g;
      break;
    }
    if (ec != errc::snapshot_corrupt) {
      detail = why;
      return ec;
    }
    out.notes.push_back(why);
    sound[g] = false;
    if (auto aside = k->set_aside(g, out.notes)) {
      detail = "cannot replace the damaged snapshot " + k->path(g) + ": " + aside.message();
      return aside;
    }
  }
  if (loaded < 0) {
    // Both generations were damaged (set aside). Only the journal is left.
    detail = "both snapshot generations are damaged (" + out.notes.front() + ")";
    if (!options.salvage) return make_error_code(errc::snapshot_corrupt);
    out.notes.push_back("salvage: both snapshots damaged; recovering from the journal alone");
  }
  if (loaded >= 0) {
    const int other = 1 - loaded;
    if (!sound[other]) {
      std::string why;
      if (auto ec = k->dbs_[other]->copy_from(*k->dbs_[loaded], why)) {
        detail = why;
        return ec;
      }
      out.notes.push_back("snapshot " + k->path(other) + " rebuilt from " + k->path(loaded));
    }
    out.generation = loaded;
    out.covered_lsn = k->dbs_[loaded]->meta().covered_lsn;
  }
  for (int g = 0; g < 2; ++g) k->deltas_[g] = snapshot_delta(k->dbs_[g]->meta().covered_lsn);
  k->journal_ = std::make_unique<journal::record_reader>(files, options.journal_dir);
  return k;
}

snapshot_keeper::~snapshot_keeper() {
  for (auto& db : dbs_) db.reset();  // connections close before the VFS unregisters
}

error_code snapshot_keeper::align(std::uint64_t journal_first_lsn, std::vector<std::string>& notes,
                                  std::string& detail) {
  if (journal_first_lsn == 0) return {};
  const int newest = dbs_[0]->meta().covered_lsn >= dbs_[1]->meta().covered_lsn ? 0 : 1;
  if (journal_first_lsn > dbs_[newest]->meta().covered_lsn + 1) {
    detail = "journal corrupt: the journal starts at LSN " + std::to_string(journal_first_lsn) +
             " but the newest snapshot covers only up to LSN " + std::to_string(dbs_[newest]->meta().covered_lsn) +
             " (segments are missing)";
    if (!options_.salvage) return make_error_code(errc::journal_corrupt);
    notes.push_back("salvage: not recovered: " + detail);
    return {};
  }
  if (journal_first_lsn > dbs_[1 - newest]->meta().covered_lsn + 1) {
    return level(notes, "the journal no longer reaches back to it", detail);
  }
  return {};
}

error_code snapshot_keeper::level(std::vector<std::string>& notes, const std::string& why, std::string& detail) {
  const int newest = dbs_[0]->meta().covered_lsn >= dbs_[1]->meta().covered_lsn ? 0 : 1;
  const int older = 1 - newest;
  if (dbs_[older]->meta().covered_lsn == dbs_[newest]->meta().covered_lsn) return {};
  if (auto ec = dbs_[older]->copy_from(*dbs_[newest], detail)) return ec;
  deltas_[older] = deltas_[newest];
  notes.push_back("snapshot " + path(older) + " rebuilt from " + path(newest) + " (" + why + ")");
  return {};
}

void snapshot_keeper::add(std::uint64_t lsn, const journal::event& e) { add(lsn, journal::event(e)); }

void snapshot_keeper::add(std::uint64_t lsn, journal::event&& e) {
  if (auto* enq = std::get_if<journal::enqueue_event>(&e)) {
    add(lsn, journal::enqueued(lsn, std::move(*enq)));
    return;
  }
  for (auto& d : deltas_) d.apply(lsn, e);
}

void snapshot_keeper::add(std::uint64_t lsn, journal::durable_message&& enqueued) {
  // One row for both generations: a message is copied once, not once per delta.
  if (lsn <= deltas_[0].last_lsn() && lsn <= deltas_[1].last_lsn()) return;
  const auto row = std::make_shared<journal::durable_message>(std::move(enqueued));
  for (auto& d : deltas_) d.apply_enqueue(lsn, row);
}

void snapshot_keeper::add(const message_id& id, const journal::record_locator& where) {
  for (auto& d : deltas_) d.apply_enqueue_at(id, where);
}

bool snapshot_keeper::changed() const noexcept { return !deltas_[0].empty() || !deltas_[1].empty(); }

std::uint64_t snapshot_keeper::latest_lsn() const noexcept {
  return std::max(deltas_[0].last_lsn(), deltas_[1].last_lsn());
}

std::uint64_t snapshot_keeper::covered_lsn() const noexcept {
  return std::max(deltas_[0].covered(), deltas_[1].covered());
}

std::uint64_t snapshot_keeper::oldest_covered_lsn() const noexcept {
  return std::min(deltas_[0].covered(), deltas_[1].covered());
}

boost::system::result<snapshot_result> snapshot_keeper::snapshot(std::string& detail) {
  snapshot_result r;
  if (!changed()) return r;
  const auto started = std::chrono::steady_clock::now();
  int g = deltas_[0].covered() <= deltas_[1].covered() ? 0 : 1;
  if (deltas_[g].empty()) g = 1 - g;
  r.generation = g;
  if (damaged_[g]) {
    if (auto ec = rebuild(g, detail)) return ec;
  }
  if (!dbs_[g]) {
    if (auto ec = open_generation(g, detail)) return ec;  // closed after an earlier failure
  }
  snapshot_delta& delta = deltas_[g];
  error_code ec = dbs_[g]->begin();
  std::string read_back;  // why an enqueue could not be read back from the journal
  if (!ec) ec = delta.write_to(*dbs_[g], *journal_, r.counts, read_back);
  journal_->release();  // no segment stays open (or its window in memory) between snapshots
  if (!ec) ec = dbs_[g]->commit(delta.last_lsn());
  if (ec) {
    detail = "snapshot " + path(g) + " not committed: " + (read_back.empty() ? dbs_[g]->last_error() : read_back);
    dbs_[g]->rollback();
    delta.failed();
    // Reopen before the next try: SQLite recovers its WAL to whichever commit is durable.
    dbs_[g].reset();
    if (ec == errc::snapshot_corrupt) {
      // A damaged row or page in this generation: it is set aside and rebuilt from the other one
      // before it is written again; until then its covered LSN holds the journal back.
      damaged_[g] = true;
      std::string why;
      if (auto again = rebuild(g, why)) {
        detail += "; not rebuilt yet: " + why;
      } else {
        detail += "; set aside and rebuilt from " + path(1 - g);
      }
    }
    return ec;
  }
  delta.committed();
  r.committed = true;
  r.covered_lsn = delta.covered();
  r.segments_deleted = truncate_journal(r.note);
  r.took = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
  return r;
}

error_code snapshot_keeper::rebuild(int g, std::string& detail) {
  const int other = 1 - g;
  if (!dbs_[other]) {
    if (auto ec = open_generation(other, detail)) return ec;
  }
  if (!set_aside_[g]) {
    std::vector<std::string> notes;
    if (auto ec = set_aside(g, notes)) {
      detail = "cannot set " + path(g) + " aside: " + ec.message();
      return ec;
    }
    set_aside_[g] = true;
  } else if (!dbs_[g]) {
    if (auto ec = open_generation(g, detail)) return ec;
  }
  if (auto ec = dbs_[g]->copy_from(*dbs_[other], detail)) return ec;
  deltas_[g] = deltas_[other];
  damaged_[g] = false;
  set_aside_[g] = false;
  return {};
}

// Deletes segments whose every record is at or below the older generation's covered LSN: a
// segment is such when the next one starts at or below that LSN + 1.
std::uint64_t snapshot_keeper::truncate_journal(std::string& note) {
  if (damaged_[0] || damaged_[1]) {
    note = "the journal is not cut while a damaged snapshot generation waits for its rebuild";
    return 0;
  }
  const std::uint64_t keep_after = oldest_covered_lsn();
  auto names = files_->list(options_.journal_dir);
  if (!names) {
    note = "cannot list " + options_.journal_dir + ": " + names.error().message();
    return 0;
  }
  std::vector<std::pair<std::uint64_t, std::string>> segments;
  for (const auto& n : *names) {
    if (auto base = journal::parse_segment_file_name(n)) segments.emplace_back(*base, n);
  }
  std::sort(segments.begin(), segments.end());
  std::uint64_t deleted = 0;
  for (std::size_t i = 0; i + 1 < segments.size(); ++i) {
    if (segments[i + 1].first > keep_after + 1) break;
    if (auto ec = files_->remove(options_.journal_dir + "/" + segments[i].second)) {
      note = "cannot delete " + segments[i].second + ": " + ec.message();
      break;
    }
    ++deleted;
  }
  if (deleted > 0) {
    if (auto ec = files_->sync_dir(options_.journal_dir))
      note = "cannot sync " + options_.journal_dir + ": " + ec.message();
  }
  return deleted;
}

}  // namespace sluice::snapshot
