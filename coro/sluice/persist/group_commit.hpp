// Group commit: one writer thread owns the journal and turns whatever producers submitted while
// the previous fsync ran into the next batch: one write and one fdatasync cover many enqueues.
// At most one fsync is in flight; batches complete in LSN order; a completion runs on its
// handler's associated executor (or the fallback executor), never on the writer thread, so the
// application's event loop never blocks on the disk and handlers never run on the I/O thread.
// A failed batch completes every submission in it with the error (disk_full for ENOSPC, io_error
// otherwise); the writer then serves the next batch (see journal_writer for what a failure does to
// the segment).
// Thread-safety: submit() from any thread; stop() once, from any thread but the writer's.
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

struct group_commit_stats {
  std::uint64_t batches = 0;
  std::uint64_t submissions = 0;
  std::uint64_t records = 0;
  std::uint64_t failed_batches = 0;
  std::uint64_t largest_batch = 0;  // submissions in one batch
};

class group_commit {
 public:
  // Completion: the first LSN of the submission's records, or an error.
  using done_handler = boost::asio::any_completion_handler<void(boost::system::error_code, std::uint64_t)>;
  // Receives every durable batch's records (moved out after the write), on the writer thread,
  // before the batch's completions are posted: the snapshotter's feed. Must not block.
  using durable_sink = std::function<void(std::uint64_t first_lsn, std::vector<owned_entry>&& records)>;

  group_commit(fs::file_system& fs, journal::writer_options options, std::uint64_t next_lsn,
               boost::asio::any_io_executor fallback, durable_sink sink = {}, std::size_t max_batch_bytes = 4U << 20);
  ~group_commit();  // stop()s
  group_commit(const group_commit&) = delete;
  group_commit& operator=(const group_commit&) = delete;

  // Queues the records of one submission; they are written together, in one batch.
  void submit(std::vector<owned_entry> records, done_handler done);
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
    done_handler done;
    // Keeps the application's io_context running while the submission is on the disk's side:
    // a run() must not return with an enqueue still waiting for its fsync.
    boost::asio::any_io_executor work;
  };
  void run();
  void complete(std::vector<submission>& batch, boost::system::error_code ec, std::uint64_t first_lsn);

  journal::journal_writer writer_;
  boost::asio::any_io_executor fallback_;
  durable_sink sink_;
  const std::size_t max_batch_bytes_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<submission> queue_;  // guarded by mutex_
  bool stopping_ = false;         // guarded by mutex_
  std::atomic<std::size_t> pending_{0};
  std::size_t last_batch_ = 0;          // writer thread only
  group_commit_stats stats_;            // guarded by mutex_
  journal::writer_stats writer_stats_;  // copy, guarded by mutex_
  std::thread thread_;                  // last: starts after everything above exists
};

// ENOSPC -> errc::disk_full, anything else -> errc::io_error.
[[nodiscard]] boost::system::error_code durability_error(const boost::system::error_code& io);

}  // namespace sluice::persist
