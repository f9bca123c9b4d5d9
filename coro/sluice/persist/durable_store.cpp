// Data directory, recovery and the running journal (see durable_store.hpp).
#include "sluice/persist/durable_store.hpp"

#include "sluice/error.hpp"
#include "sluice/journal/checkout_ledger.hpp"
#include "sluice/journal/journal_recovery.hpp"
#include "sluice/persist/journal_replay.hpp"
#include "sluice/snapshot/snapshot_keeper.hpp"

#include <unistd.h>

#include <random>

namespace sluice::persist {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// The instance id: random, written once when the directory is created.
boost::system::result<journal::instance_id> instance_of(fs::file_system& files, const std::string& dir,
                                                        std::string& detail) {
  const std::string path = dir + "/INSTANCE";
  if (auto existing = files.open(path, fs::open_mode::read_only)) {
    auto bytes = fs::read_all(**existing);
    if (!bytes) {
      detail = "cannot read " + path + ": " + bytes.error().message();
      return bytes.error();
    }
    journal::instance_id id{};
    if (bytes->size() != id.size()) {
      detail = path + " is damaged (" + std::to_string(bytes->size()) + " bytes)";
      return make_error_code(errc::journal_corrupt);
    }
    std::copy(bytes->begin(), bytes->end(), id.begin());
    // Found, but perhaps only in the page cache (an earlier start failed before its directory
    // fsync): make its entry durable before any journal segment names this instance.
    if (auto ec = files.sync_dir(dir)) {
      detail = "cannot sync " + dir + ": " + ec.message();
      return ec;
    }
    return id;
  }
  journal::instance_id id{};
  std::random_device rd;
  for (auto& b : id) b = static_cast<std::uint8_t>(rd());
  const std::string tmp = path + ".tmp";
  auto f = files.open(tmp, fs::open_mode::create);
  error_code ec = f ? error_code{} : f.error();
  if (!ec) ec = (*f)->truncate(0);
  if (!ec) ec = (*f)->write_at(0, std::span<const std::uint8_t>(id.data(), id.size()));
  if (!ec) ec = (*f)->sync_data();
  if (!ec) ec = files.rename(tmp, path);
  if (!ec) ec = files.sync_dir(dir);
  if (ec) {
    detail = "cannot create " + path + ": " + ec.message();
    return ec;
  }
  return id;
}

}  // namespace

boost::system::result<std::unique_ptr<durable_store>> durable_store::open(const persistence_options& options,
                                                                          asio::any_io_executor ex, log_sink log,
                                                                          journal::recovered_state& state,
                                                                          recovery_summary& summary,
                                                                          std::string& detail) {
  const auto started = std::chrono::steady_clock::now();
  fs::file_system& files = options.file_system ? *options.file_system : fs::posix();
  const std::string& dir = options.data_dir;
  const std::string journal_dir = dir + "/journal";
  for (const auto& d : {dir, journal_dir}) {
    if (auto ec = files.create_dir(d)) {
      detail = "cannot create " + d + ": " + ec.message();
      return ec;
    }
  }
  // The directories' own entries must survive a power loss too (a missing directory fsync is the
  // classic crash-consistency bug): sync the parent and the data directory.
  const auto slash = dir.find_last_of('/');
  const std::string parent = slash == std::string::npos ? "." : (slash == 0 ? "/" : dir.substr(0, slash));
  for (const auto& d : {parent, dir}) {
    if (auto ec = files.sync_dir(d); ec && ec != boost::system::errc::no_such_file_or_directory) {
      detail = "cannot sync " + d + ": " + ec.message();
      return ec;
    }
  }
  std::unique_ptr<durable_store> store(new durable_store());
  store->mode_ = options.mode;
  store->log_ = std::make_shared<log_sink>(std::move(log));
  std::string holder;
  auto lock = files.lock(dir + "/LOCK", "pid " + std::to_string(::getpid()), holder);
  if (!lock) {
    detail = "data directory " + dir + " is locked by " + (holder.empty() ? "another engine" : holder);
    return lock.error();
  }
  store->lock_ = std::move(*lock);
  auto instance = instance_of(files, dir, detail);
  if (!instance) return instance.error();

  journal::journal_state rebuilt;
  std::unique_ptr<snapshot::snapshot_keeper> keeper;
  snapshot::keeper_recovery from_snapshot;
  if (options.snapshots) {
    snapshot::keeper_options ko;
    ko.data_dir = dir;
    ko.journal_dir = journal_dir;
    ko.instance = *instance;
    ko.salvage = options.salvage;
    auto k = snapshot::snapshot_keeper::open(files, ko, rebuilt, from_snapshot, detail);
    if (!k) return k.error();
    keeper = std::move(*k);
    summary.notes.insert(summary.notes.end(), from_snapshot.notes.begin(), from_snapshot.notes.end());
  }

  journal::recovery_options ro;
  ro.salvage = options.salvage;
  ro.instance = *instance;
  ro.covered = keeper ? keeper->oldest_covered_lsn() : 0;
  // Pass one: every segment read and checked, nothing kept but the plan (journal_recovery.hpp).
  auto recovered = journal::scan_journal(files, journal_dir, ro, detail);
  if (!recovered) return recovered.error();
  if (keeper) {
    if (auto ec = keeper->align(recovered->first_lsn, summary.notes, detail)) return ec;
  } else if (recovered->first_lsn > 1) {
    // Without snapshots the journal must start at the beginning: earlier segments were deleted by
    // snapshots (opened with snapshots off) or lost.
    detail = "journal corrupt: the journal starts at LSN " + std::to_string(recovered->first_lsn) + " and " + dir +
             " is opened without snapshots" +
             (files.open(dir + "/snapshot.0.sqlite", fs::open_mode::read_only)
                  ? std::string(" (it has snapshots: set persistence_options::snapshots)")
                  : std::string(" (earlier segments are missing)"));
    if (!options.salvage) return make_error_code(errc::journal_corrupt);
    summary.notes.push_back("salvage: " + detail);
  }
  // Pass two: a reader thread decodes the records from one segment buffer at a time while this
  // thread folds them into the state (and the snapshots' deltas).
  std::size_t replayed = 0;
  rebuilt.reserve(recovered->enqueues_seen);
  replay_sink replay;
  replay.enqueue = [&](std::uint64_t lsn, journal::durable_message&& d) {
    if (lsn <= from_snapshot.covered_lsn) {  // only the older generation's delta needs it
      if (keeper) keeper->add(lsn, std::move(d));
      return;
    }
    if (keeper) keeper->add(lsn, d.clone());
    rebuilt.load(std::move(d));
    ++replayed;
  };
  replay.other = [&](std::uint64_t lsn, journal::event&& e) {
    if (lsn <= from_snapshot.covered_lsn) {
      if (keeper) keeper->add(lsn, std::move(e));
      return;
    }
    if (keeper) keeper->add(lsn, e);
    rebuilt.apply(lsn, std::move(e));
    ++replayed;
  };
  if (auto ec = replay_journal(files, journal_dir, *recovered, options.salvage, replay, summary.notes, detail)) {
    return ec;
  }
  journal::writer_options wo;
  wo.dir = journal_dir;
  wo.segment_bytes = options.segment_bytes;
  wo.preallocate = options.preallocate_bytes;
  wo.instance = *instance;
  wo.sync = options.mode == durability::fsync;
  std::uint64_t next_lsn = recovered->next_lsn;
  if (keeper && next_lsn <= keeper->covered_lsn()) {
    // The snapshot is ahead of the journal (buffered mode lost the journal's unsynced tail in a
    // power loss): continue after the snapshot and record the gap, so those LSNs never mean
    // anything else.
    wo.initial_void = std::make_pair(next_lsn, keeper->covered_lsn());
    // The older generation cannot get the records between its LSN and the newest one's from the
    // journal any more: it becomes a copy of the newest.
    if (auto ec = keeper->level(summary.notes, "the journal ends before the snapshot", detail)) return ec;
    summary.notes.push_back("the journal ends at LSN " + std::to_string(next_lsn - 1) + ", before the snapshot (" +
                            std::to_string(keeper->covered_lsn()) + "): continuing after it");
    next_lsn = keeper->covered_lsn() + 1;
  }
  // Checkouts a crashed process noted in its ledger but never got into the journal: applied now,
  // and journaled as the new journal's first records (the state takes next_lsn onwards as their
  // LSNs; a void record written first shifts the real ones by one, which nothing here reads: the
  // snapshot's deltas fold the records with their real LSNs). Their slots stay held until those
  // records are written, so no new checkout overwrites them first.
  std::vector<journal::checkout_event> carried;
  std::vector<std::uint32_t> carried_slots;
  if (options.checkout_ledger) {
    std::vector<journal::ledger_entry> left;
    std::string note;
    std::string why;
    auto ledger = journal::checkout_ledger::open(files, dir + "/CHECKOUTS", *instance, left, note, why);
    if (!note.empty()) summary.notes.push_back(note);
    if (ledger) {
      store->ledger_ = std::move(*ledger);
    } else {
      summary.notes.push_back(why + ": checkouts wait until their journal record is written");
    }
    for (const auto& e : left) {
      if (!rebuilt.apply_if_newer(next_lsn + carried.size(), e.checkout)) continue;
      carried.push_back(e.checkout);
      carried_slots.push_back(e.slot);
      if (store->ledger_) store->ledger_->hold(e.slot);
    }
    if (!carried.empty()) {
      summary.notes.push_back(std::to_string(carried.size()) +
                              " checkouts were in the checkout ledger only (their attempts are counted)");
    }
  }
  state = rebuilt.take();
  summary.records = replayed;
  summary.snapshot_rows = from_snapshot.rows;
  summary.snapshot_lsn = from_snapshot.covered_lsn;
  summary.ready = state.ready.size();
  summary.scheduled = state.scheduled.size();
  summary.in_flight = state.in_flight.size();
  summary.dead = state.dead.size();
  summary.notes.insert(summary.notes.end(), recovered->notes.begin(), recovered->notes.end());
  for (const auto& u : recovered->unreadable) summary.notes.push_back("salvage: not recovered: " + u);
  if (state.contradictions > 0) {
    summary.notes.push_back(std::to_string(state.contradictions) + " journal events named unknown messages");
  }

  group_commit::durable_sink sink;
  if (keeper) {
    snapshot_schedule schedule;
    schedule.interval = options.snapshot_interval;
    schedule.every_records = std::max<std::uint64_t>(1, options.snapshot_every_records);
    schedule.min_gap = options.snapshot_min_gap;
    schedule.on_stop = options.snapshot_on_stop;
    store->snapshots_ = std::make_unique<snapshotter>(std::move(keeper), schedule, ex, store->log_);
    sink = [s = store->snapshots_.get()](durable_batch&& batch) { s->feed(std::move(batch)); };
  }
  store->commit_ = std::make_unique<group_commit>(files, wo, next_lsn, std::move(ex), std::move(sink));
  if (!carried.empty()) {
    for (std::size_t k = 0; k + 1 < carried.size(); ++k) {
      store->commit_->submit_event(carried[k], store->forget_handler(), completes::written);
    }
    done_handler done = store->forget_handler();
    if (store->ledger_) {  // records complete in order: the last one written means all are
      done = [ledger = store->ledger_, slots = std::move(carried_slots), forget = std::move(done)](
                 error_code ec, std::uint64_t lsn) mutable {
        if (!ec) ledger->unhold(slots);  // else their entries stay the only record: keep them held
        forget(ec, lsn);
      };
    }
    store->commit_->submit_event(carried.back(), std::move(done), completes::written);
  }
  summary.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  return store;
}

durable_store::~durable_store() { stop(); }

void durable_store::stop() {
  if (commit_) commit_->stop();        // writes everything recorded and feeds the snapshotter
  if (snapshots_) snapshots_->stop();  // folds it and takes the final snapshot
}

void durable_store::snapshot(snapshotter::done_handler done) { snapshots_->request(std::move(done)); }

snapshot_stats durable_store::snapshot_stats() const {
  return snapshots_ ? snapshots_->stats() : sluice::snapshot_stats{};
}

durable_store::done_handler durable_store::forget_handler() const {
  return [failures = failures_, log = log_](error_code ec, std::uint64_t) {
    if (!ec) return;
    if (failures->fetch_add(1, std::memory_order_relaxed) == 0 || ec == errc::disk_full) {
      try {
        (*log)(log_level::error,
               "journal write failed: " + ec.message() + " (the engine's state is ahead of its journal)");
      } catch (...) {
      }
    }
  };
}

void durable_store::record(const journal::event& e) { record_then(e, forget_handler()); }

void durable_store::record_then(const journal::event& e, done_handler done, completes when) {
  // Checkouts and acknowledgements (one of each per delivery) go inline, encoded by the writer.
  if (const auto* c = std::get_if<journal::checkout_event>(&e)) {
    return commit_->submit_event(*c, std::move(done), when);
  }
  if (const auto* a = std::get_if<journal::ack_event>(&e)) return commit_->submit_event(*a, std::move(done), when);
  std::vector<owned_entry> entries(1);
  entries[0].type = journal::encode_event(e, entries[0].payload);
  commit_->submit(std::move(entries), std::move(done), when);
}

}  // namespace sluice::persist
