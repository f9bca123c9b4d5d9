// Group commit: a writer thread turns whatever producers submitted while it was busy into the
// next batch (one write call for many enqueues), and a syncer thread makes what was written
// durable (one fdatasync covers every batch written before it started). The writer does not wait
// for the sync: it writes the next batch while the previous one is being synced, so a sync covers
// everything that arrived during the one before it. While a sync runs, the writer holds
// submissions that wait for durability (they could not become durable before the next sync
// anyway) and writes them in one batch the moment the sync ends, so one write and one fdatasync
// serve everything a window of producers submitted meanwhile; a submission that completes once
// written (a checkout) is written at once and takes the held ones with it. Submitters wake the
// writer only when it waits for what they bring (not once per submission).
// (Letting an idle writer sync by itself saves a lone producer one thread hop, but halved the
// consume-and-ack flow: checkouts that arrive during that sync wait for it.) Submissions complete either once written
// (in the kernel: survives a crash of the process, not a power loss; the checkout before a
// handler runs) or once durable (enqueues, flushes, acks). Durable completions follow LSN order; a
// completion runs on its handler's associated executor (or the fallback executor), never on an
// I/O thread, so the application's event loop never blocks on the disk.
// A failed batch completes every submission in it with the error (disk_full for ENOSPC, io_error
// otherwise); a failed sync fails every batch written to its segment and not yet durable; the
// writer then serves the next batch (see journal_writer for what a failure does to the segment).
// Thread-safety: submit() from any thread; stop() once, from any thread but the I/O threads'.
#pragma once

#include "sluice/fs/file_system.hpp"
#include "sluice/journal/journal_writer.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/system/error_code.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sluice::persist {

struct owned_entry {
  journal::record_type type = journal::record_type::enqueue;
  std::string payload;
};

// When a submission completes.
enum class completes : std::uint8_t {
  durable,  // fdatasync'ed (in durability::buffered: written)
  written,  // handed to the kernel with write(): survives the process, not the machine
};

struct group_commit_stats {
  std::uint64_t batches = 0;
  std::uint64_t submissions = 0;
  std::uint64_t records = 0;
  std::uint64_t failed_batches = 0;
  std::uint64_t largest_batch = 0;  // submissions in one batch
  std::uint64_t syncs = 0;          // fdatasyncs that succeeded (each covers one or more batches)
};

class group_commit {
 public:
  // Completion: the first LSN of the submission's records, or an error.
  using done_handler = boost::asio::any_completion_handler<void(boost::system::error_code, std::uint64_t)>;
  // Receives every durable batch's records, in LSN order, on the thread that saw them durable,
  // before the batch's durable completions are posted: the snapshotter's feed. Must not block.
  using durable_sink = std::function<void(std::uint64_t first_lsn, std::vector<owned_entry>&& records)>;

  group_commit(fs::file_system& fs, journal::writer_options options, std::uint64_t next_lsn,
               boost::asio::any_io_executor fallback, durable_sink sink = {}, std::size_t max_batch_bytes = 4U << 20);
  ~group_commit();  // stop()s
  group_commit(const group_commit&) = delete;
  group_commit& operator=(const group_commit&) = delete;

  // Queues the records of one submission; they are written together, in one batch.
  void submit(std::vector<owned_entry> records, done_handler done, completes when = completes::durable);
  // Writes what was submitted, completes it, and ends the thread. Later submissions fail with
  // errc::shutting_down.
  void stop();

  [[nodiscard]] group_commit_stats stats() const;
  // Submissions whose completion has not been posted yet (0 = the writer is idle).
  [[nodiscard]] std::size_t pending() const noexcept { return pending_.load(std::memory_order_acquire); }
  [[nodiscard]] journal::writer_stats writer_stats() const;

 private:
  struct submission {
    std::vector<owned_entry> records;
    done_handler done;  // empty once completed (written completions run before the sync)
    // Keeps the application's io_context running while the submission is on the disk's side:
    // a run() must not return with an enqueue still waiting for its fsync.
    boost::asio::any_io_executor work;
    completes when = completes::durable;
    std::uint64_t first_lsn = 0;
  };
  struct written {
    std::vector<submission> subs;
    journal::written_batch lsns;
    bool lost = false;  // its sync failed
  };
  // What the waiting writer needs before it goes on (guarded by mutex_): submit() and the
  // syncer notify only when they bring it, so a busy producer costs no wake-up per submission.
  enum class writer_wait : std::uint8_t {
    none,       // not waiting
    any,        // an empty queue: the first submission
    more,       // gathering a batch like the last one: queue_.size() >= gather_target_
    sync_ends,  // holding durable submissions: the sync ends, a written one arrives, or the bytes bound
  };
  [[nodiscard]] bool writer_satisfied() const;  // with mutex_ held
  void write_loop();
  void sync_loop();
  void settle(const journal::sync_result& synced);
  // Posts the completions of `subs` that are still owed (all of them with an error) and counts
  // them done.
  void complete(std::vector<submission>& subs, boost::system::error_code ec, bool written_only = false);
  void feed_sink(std::vector<submission>& subs, std::uint64_t first_lsn);

  const bool syncs_;  // before writer_: read from the options the writer is moved
  journal::journal_writer writer_;
  boost::asio::any_io_executor fallback_;
  durable_sink sink_;
  const std::size_t max_batch_bytes_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;             // the writer: submissions arrived, or stop
  std::condition_variable sync_wake_;        // the syncer: a batch was written, or the writer ended
  std::deque<submission> queue_;             // guarded by mutex_
  std::deque<written> unsynced_;             // guarded by mutex_: written, in LSN order, not yet durable
  writer_wait waiting_ = writer_wait::none;  // guarded by mutex_
  std::size_t gather_target_ = 0;            // guarded by mutex_
  std::size_t queued_bytes_ = 0;             // guarded by mutex_: record bytes in queue_
  std::size_t queued_written_ = 0;           // guarded by mutex_: submissions in queue_ that complete once written
  bool syncing_ = false;                     // guarded by mutex_: the syncer runs an fdatasync
  bool stopping_ = false;                    // guarded by mutex_
  bool writer_done_ = false;                 // guarded by mutex_
  std::atomic<std::size_t> pending_{0};
  std::size_t last_batch_ = 0;  // writer thread only
  group_commit_stats stats_;    // guarded by mutex_
  std::thread syncer_;          // the threads last: they start after everything above exists
  std::thread writer_thread_;
};

// ENOSPC -> errc::disk_full, anything else -> errc::io_error.
[[nodiscard]] boost::system::error_code durability_error(const boost::system::error_code& io);

}  // namespace sluice::persist
