// Group commit on two I/O threads that share the work: whichever is free takes what producers
// submitted while the other was busy and writes it as the next batch (one write call for many
// enqueues), then makes it durable itself (one fdatasync covers every batch written before it
// started). While one thread syncs, the other writes: submissions that complete once written (a
// checkout) never wait for a sync, and a lone producer costs one thread hop there and one back.
// While a sync runs, submissions that wait for durability are held (they could not become durable
// before the next sync anyway) and written in one batch the moment it ends, so one write and one
// fdatasync serve everything a window of producers submitted meanwhile; a written-completion
// submission goes at once and takes the held ones with it. Submitters wake a thread only when it
// waits for what they bring (not once per submission). Submissions complete either once written
// (in the kernel: survives a crash of the process, not a power loss; the checkout before a
// handler runs) or once durable (enqueues, flushes, acks). Durable completions follow LSN order (one
// thread at a time syncs and settles); a completion runs on its handler's associated executor (or
// the fallback executor), never on an I/O thread, so the application's event loop never blocks on
// the disk.
// A failed batch completes every submission in it with the error (disk_full for ENOSPC, io_error
// otherwise); a failed sync fails every batch written to its segment and not yet durable; the
// threads then serve the next batch (see journal_writer for what a failure does to the segment).
// Thread-safety: submit() from any thread; stop() once, from any thread but the I/O threads'.
#pragma once

#include "sluice/fs/file_system.hpp"
#include "sluice/journal/journal_writer.hpp"
#include "sluice/journal/record_codec.hpp"
#include "sluice/message/message.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/system/error_code.hpp>

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

namespace sluice::persist {

struct owned_entry {
  journal::record_type type = journal::record_type::enqueue;
  std::string payload;
};

// An enqueue whose record the I/O thread encodes from the message itself, straight into its
// batch: the producer's thread neither encodes nor allocates for it. The message must stay alive
// and unchanged until the submission completes (its completion owns it).
struct enqueue_source {
  std::string_view queue;
  const message* m = nullptr;
};

// A small record the I/O thread encodes into its batch (a checkout or an acknowledgement): held
// inline, so submitting one allocates no record.
using compact_event = std::variant<journal::checkout_event, journal::ack_event>;

// A durable batch as the sink receives it. An enqueue encoded from its message stays in the
// journal: the sink gets its id and where its record is (segment_base names the segment file,
// `at` is the record's offset in it, `size` its payload's length), and reads it back only if it
// needs it, so the payloads of a window of enqueues are not copied and kept a second time. The
// other records' payloads are here, back to back in `bytes`.
struct durable_batch {
  struct record {
    journal::record_type type = journal::record_type::enqueue;
    std::size_t offset = 0;  // into bytes (not in_journal)
    std::size_t size = 0;    // payload bytes
    bool in_journal = false;
    std::uint64_t at = 0;  // in_journal: the record's file offset in the segment
    message_id id;         // in_journal: the message enqueued
  };
  std::uint64_t first_lsn = 0;
  std::uint64_t segment_base = 0;
  std::string bytes;
  std::vector<record> records;
  [[nodiscard]] std::string_view payload(const record& r) const noexcept { return {bytes.data() + r.offset, r.size}; }
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
  // Receives every durable batch, in LSN order, on the thread that saw it durable, before its
  // durable completions are posted: the snapshotter's feed. Must not block.
  using durable_sink = std::function<void(durable_batch&& batch)>;

  group_commit(fs::file_system& fs, journal::writer_options options, std::uint64_t next_lsn,
               boost::asio::any_io_executor fallback, durable_sink sink = {}, std::size_t max_batch_bytes = 4U << 20);
  ~group_commit();  // stop()s
  group_commit(const group_commit&) = delete;
  group_commit& operator=(const group_commit&) = delete;

  // Queues the records of one submission; they are written together, in one batch.
  void submit(std::vector<owned_entry> records, done_handler done, completes when = completes::durable);
  // Queues one enqueue record, encoded by the I/O thread from `source` (see enqueue_source);
  // completes once durable.
  void submit_enqueue(enqueue_source source, done_handler done);
  // Queues one compact record (a checkout or an acknowledgement), encoded by the I/O thread.
  void submit_event(compact_event e, done_handler done, completes when = completes::durable);
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
    enqueue_source source;               // set: one enqueue record, encoded at write time (records is empty)
    std::optional<compact_event> small;  // set: one small record, encoded at write time (records is empty)
    done_handler done;                   // empty once completed (written completions run before the sync)
    // Keeps the application's io_context running while the submission is on the disk's side:
    // a run() must not return with an enqueue still waiting for its fsync.
    boost::asio::any_io_executor work;
    completes when = completes::durable;
    std::uint64_t first_lsn = 0;
    [[nodiscard]] std::size_t count() const noexcept { return source.m != nullptr || small ? 1 : records.size(); }
  };
  struct written {
    std::vector<submission> subs;
    journal::written_batch lsns;
    durable_batch records;  // for the sink (empty without one)
    bool lost = false;      // its sync failed
  };
  // With mutex_ held: what an I/O thread can do next.
  [[nodiscard]] bool can_write() const;  // the writer role is free and something may be written
  [[nodiscard]] bool can_sync() const;   // written batches wait and nobody syncs
  [[nodiscard]] bool finished() const;   // stopping, and nothing is left for this thread
  // With mutex_ held: true when an idle thread should be woken (it can write now and no wake-up
  // is on its way); the caller notifies wake_ after unlocking.
  [[nodiscard]] bool claim_wake();
  void io_loop();  // both I/O threads
  void enqueue(submission&& s, std::size_t bytes);
  void write_batch(std::unique_lock<std::mutex>& lock, std::vector<submission>& batch, durable_batch& records,
                   std::vector<journal::entry>& entries);
  void sync_and_settle(std::unique_lock<std::mutex>& lock);
  void settle(const journal::sync_result& synced);
  // Posts the completions of `subs` that are still owed (all of them with an error) and counts
  // them done.
  void complete(std::vector<submission>& subs, boost::system::error_code ec, bool written_only = false);
  void feed_sink(durable_batch&& records);
  // The sink's copy of a written batch: enqueues by position, the rest by value.
  [[nodiscard]] static durable_batch for_sink(const durable_batch& written, const journal::written_batch& lsns);

  const bool syncs_;  // before writer_: read from the options the writer is moved
  journal::journal_writer writer_;
  boost::asio::any_io_executor fallback_;
  durable_sink sink_;
  const std::size_t max_batch_bytes_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;      // idle I/O threads: something to write or sync, or stop
  std::condition_variable gathered_;  // the writer gathering a batch: enough arrived, or stop
  std::deque<submission> queue_;      // guarded by mutex_
  std::deque<written> unsynced_;      // guarded by mutex_: written, in LSN order, not yet durable
  std::size_t queued_bytes_ = 0;      // guarded by mutex_: record bytes in queue_
  std::size_t queued_written_ = 0;    // guarded by mutex_: submissions in queue_ that complete once written
  bool writing_ = false;              // guarded by mutex_: a thread holds the writer role (one batch at a time)
  bool syncing_ = false;              // guarded by mutex_: an fdatasync runs (durable submissions are held)
  bool settling_ = false;             // guarded by mutex_: a thread owns sync-and-settle (LSN order)
  bool gathering_ = false;            // guarded by mutex_: the writer waits for gather_target_ submissions
  std::size_t gather_target_ = 0;     // guarded by mutex_
  std::size_t idle_ = 0;              // guarded by mutex_: threads waiting on wake_
  bool wake_sent_ = false;            // guarded by mutex_: a notify on wake_ not taken up yet
  bool stopping_ = false;             // guarded by mutex_
  std::size_t last_batch_ = 0;        // the writer role's
  std::atomic<std::size_t> pending_{0};
  group_commit_stats stats_;            // guarded by mutex_
  std::array<std::thread, 2> threads_;  // last: they start after everything above exists
};

// ENOSPC -> errc::disk_full, anything else -> errc::io_error.
[[nodiscard]] boost::system::error_code durability_error(const boost::system::error_code& io);

}  // namespace sluice::persist
