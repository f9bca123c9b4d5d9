// The snapshot thread: a second consumer of the journal. The group commit hands it every
// durable batch (feed: an enqueue by where its record is, the rest decoded here); it folds the
// records into the two snapshot generations' deltas (a commit reads enqueues back from the
// journal, snapshot_delta.hpp) and
// commits one when `every_records` records arrived since the last snapshot (but not sooner than
// `min_gap` after it), when `interval` passed with something changed, on request, and (by
// default) once more at stop. The thread runs at a lower priority (nice +10) than the engine's. SQLite runs only
// on this thread: enqueue and dispatch never wait for a snapshot. A failed snapshot (SQLite busy,
// disk full, I/O error) is counted, logged, retried a second later, and keeps the journal.
// Thread-safety: feed() from one group-commit I/O thread at a time, in LSN order; request() and
// stats() from any thread; stop() once, after the group commit has stopped.
#pragma once

#include "sluice/log.hpp"
#include "sluice/persist/group_commit.hpp"
#include "sluice/snapshot/snapshot_keeper.hpp"
#include "sluice/stats.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace sluice::persist {

struct snapshot_schedule {
  std::chrono::milliseconds interval{30000};
  std::uint64_t every_records = 1000;
  std::chrono::milliseconds min_gap{1000};  // between count-triggered snapshots
  bool on_stop = true;
};

class snapshotter {
 public:
  using done_handler = boost::asio::any_completion_handler<void(boost::system::error_code, snapshot_report)>;

  snapshotter(std::unique_ptr<snapshot::snapshot_keeper> keeper, snapshot_schedule schedule,
              boost::asio::any_io_executor fallback, std::shared_ptr<log_sink> log);
  ~snapshotter();  // stop()s
  snapshotter(const snapshotter&) = delete;
  snapshotter& operator=(const snapshotter&) = delete;

  // A durable batch, in LSN order (the writer's sink).
  void feed(durable_batch&& batch);
  // Takes a snapshot now (after what was fed so far); completes on the handler's executor.
  void request(done_handler done);
  // Folds what was fed, takes the final snapshot (schedule.on_stop) and ends the thread. Later
  // requests fail with errc::shutting_down.
  void stop();

  [[nodiscard]] snapshot_stats stats() const;

 private:
  struct waiter {
    done_handler done;
    boost::asio::any_io_executor work;  // keeps the application's run() going meanwhile
  };
  void run();
  void fold(std::deque<durable_batch>& batches);
  bool take_snapshot(std::vector<waiter>& waiters);  // false: failed

  std::unique_ptr<snapshot::snapshot_keeper> keeper_;  // snapshot thread only
  const snapshot_schedule schedule_;
  boost::asio::any_io_executor fallback_;
  std::shared_ptr<log_sink> log_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<durable_batch> incoming_;  // guarded by mutex_
  std::uint64_t incoming_records_ = 0;  // guarded by mutex_
  std::uint64_t folded_since_ = 0;      // guarded by mutex_: records folded since the last snapshot
  std::vector<waiter> waiters_;         // guarded by mutex_
  bool stopping_ = false;               // guarded by mutex_
  snapshot_stats stats_;                // guarded by mutex_
  std::uint64_t undecodable_ = 0;       // snapshot thread only
  std::thread thread_;                  // last: starts after everything above exists
};

}  // namespace sluice::persist
