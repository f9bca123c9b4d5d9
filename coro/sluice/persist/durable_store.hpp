// The engine's persistence: the data directory (created 0700, locked against a second engine or
// process, holding the instance id and the journal), recovery at start, and the group-commit
// journal the engine records its events in while it runs.
//
//   record(event)               fire and forget: ordered after everything recorded before it
//   record_then(event, done)    done(ec) once the event is durable (fsync mode) or written
//   record_then(event, done, completes::written)   done(ec) once the event is written (the
//                               kernel has it: it survives a crash of the process, not a power loss)
//   submit(records, done)       the same for records the caller encoded
//   submit_enqueue(queue, message, done)  an enqueue, encoded by the writer thread from the message
//
// Completions of record() touch nothing of the engine (a failure is counted and logged through a
// shared sink), so they may run after the engine is gone; record_then() callers keep the engine
// alive until their completion ran (the engine counts them as live operations).
// Thread-safety: record*() from any thread; open() and stop() from one.
#pragma once

#include "sluice/journal/checkout_ledger.hpp"
#include "sluice/journal/journal_state.hpp"
#include "sluice/journal/record_codec.hpp"
#include "sluice/log.hpp"
#include "sluice/options.hpp"
#include "sluice/persist/group_commit.hpp"
#include "sluice/persist/snapshotter.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/result.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace sluice::persist {

struct recovery_summary {
  std::size_t snapshot_rows = 0;   // messages loaded from the snapshot
  std::uint64_t snapshot_lsn = 0;  // the LSN it covers
  std::size_t records = 0;         // journal records replayed after it
  std::size_t ready = 0;
  std::size_t scheduled = 0;
  std::size_t in_flight = 0;  // returned to their queues with the attempt counted
  std::size_t dead = 0;
  std::chrono::milliseconds took{0};
  std::vector<std::string> notes;  // torn tails cut, void ranges, salvage losses
};

class durable_store {
 public:
  using done_handler = group_commit::done_handler;

  // Opens (or creates) the data directory and recovers it into `state`. Errors:
  // errc::directory_locked (detail names the holder), errc::journal_corrupt, I/O errors.
  [[nodiscard]] static boost::system::result<std::unique_ptr<durable_store>> open(
      const persistence_options& options, boost::asio::any_io_executor ex, log_sink log,
      journal::recovered_state& state, recovery_summary& summary, std::string& detail);

  ~durable_store();
  durable_store(const durable_store&) = delete;
  durable_store& operator=(const durable_store&) = delete;

  void record(const journal::event& e);
  void record_then(const journal::event& e, done_handler done, completes when = completes::durable);
  void submit(std::vector<owned_entry> entries, done_handler done) {
    commit_->submit(std::move(entries), std::move(done));
  }
  // An enqueue the writer encodes from the message (alive and unchanged until `done` runs).
  void submit_enqueue(std::string_view queue, const message& m, done_handler done) {
    commit_->submit_enqueue(enqueue_source{queue, &m}, std::move(done));
  }

  // Writes what was recorded, ends the writer thread, then the snapshot thread (after its final
  // snapshot).
  void stop();

  // Takes a snapshot now. Only with persistence_options::snapshots on: engine::async_snapshot
  // refuses otherwise (detail/snapshot_request.cpp).
  void snapshot(snapshotter::done_handler done);
  [[nodiscard]] sluice::snapshot_stats snapshot_stats() const;

  // The checkout ledger (persistence_options::checkout_ledger), or null: deliveries then wait for
  // their checkout record to be written.
  [[nodiscard]] journal::checkout_ledger* ledger() const noexcept { return ledger_.get(); }
  [[nodiscard]] bool syncs() const noexcept { return mode_ == durability::fsync; }
  [[nodiscard]] std::uint64_t failures() const noexcept { return failures_->load(std::memory_order_relaxed); }
  [[nodiscard]] group_commit_stats stats() const { return commit_->stats(); }
  [[nodiscard]] std::size_t pending() const noexcept { return commit_->pending(); }

 private:
  durable_store() = default;
  done_handler forget_handler() const;

  durability mode_ = durability::fsync;
  std::unique_ptr<fs::dir_lock> lock_;
  std::shared_ptr<journal::checkout_ledger> ledger_;
  std::unique_ptr<snapshotter> snapshots_;  // declared before commit_: destroyed after the writer that feeds it
  std::unique_ptr<group_commit> commit_;
  std::shared_ptr<std::atomic<std::uint64_t>> failures_ = std::make_shared<std::atomic<std::uint64_t>>(0);
  std::shared_ptr<log_sink> log_;
};

}  // namespace sluice::persist
