// Group commit on a writer thread and a syncer thread (see group_commit.hpp).
#include "sluice/persist/group_commit.hpp"

#include "sluice/error.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>

#include <cerrno>

namespace sluice::persist {

namespace asio = boost::asio;
using boost::system::error_code;

error_code durability_error(const error_code& io) {
  if (io == boost::system::errc::no_space_on_device) return make_error_code(errc::disk_full);
  return make_error_code(errc::io_error);
}

group_commit::group_commit(fs::file_system& fs, journal::writer_options options, std::uint64_t next_lsn,
                           asio::any_io_executor fallback, durable_sink sink, std::size_t max_batch_bytes)
    : syncs_(options.sync),
      writer_(fs, std::move(options), next_lsn),
      fallback_(std::move(fallback)),
      sink_(std::move(sink)),
      max_batch_bytes_(max_batch_bytes),
      syncer_([this] { sync_loop(); }),
      writer_thread_([this] { write_loop(); }) {}

group_commit::~group_commit() { stop(); }

namespace {
std::size_t bytes_of(const std::vector<owned_entry>& records) {
  std::size_t bytes = 0;
  for (const auto& r : records) bytes += r.payload.size() + journal::record_header_size;
  return bytes;
}
}  // namespace

bool group_commit::writer_satisfied() const {
  switch (waiting_) {
    case writer_wait::none:
      return false;
    case writer_wait::any:
      return !queue_.empty();
    case writer_wait::more:
      return queue_.size() >= gather_target_;
    case writer_wait::sync_ends:
      return !syncing_ || queued_written_ > 0 || queued_bytes_ >= max_batch_bytes_;
  }
  return true;
}

void group_commit::submit(std::vector<owned_entry> records, done_handler done, completes when) {
  const std::size_t bytes = bytes_of(records);
  {
    std::unique_lock lock(mutex_);
    if (!stopping_) {
      pending_.fetch_add(1, std::memory_order_relaxed);
      queue_.push_back({std::move(records), std::move(done),
                        asio::prefer(fallback_, asio::execution::outstanding_work.tracked), when, 0});
      queued_bytes_ += bytes;
      if (when == completes::written) ++queued_written_;
      const bool wake = writer_satisfied();
      if (wake) waiting_ = writer_wait::none;  // one wake-up is enough
      lock.unlock();
      if (wake) wake_.notify_one();
      return;
    }
  }
  asio::post(fallback_, asio::append(std::move(done), make_error_code(errc::shutting_down), std::uint64_t{0}));
}

void group_commit::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  const auto me = std::this_thread::get_id();
  if (writer_thread_.joinable() && writer_thread_.get_id() != me) writer_thread_.join();
  if (syncer_.joinable() && syncer_.get_id() != me) syncer_.join();
}

group_commit_stats group_commit::stats() const {
  group_commit_stats s;
  {
    std::lock_guard lock(mutex_);
    s = stats_;
  }
  s.syncs = writer_.stats().syncs;
  return s;
}

journal::writer_stats group_commit::writer_stats() const { return writer_.stats(); }

void group_commit::complete(std::vector<submission>& subs, error_code ec, bool written_only) {
  // One post per batch, not per submission: on the application's executor each completion is
  // dispatched to its own associated executor (inline when that is the same context).
  struct owed {
    done_handler done;
    std::uint64_t lsn;
    asio::any_io_executor work;
  };
  std::vector<owed> calls;
  calls.reserve(subs.size());
  for (auto& s : subs) {
    if (!s.done || (written_only && s.when != completes::written)) continue;
    calls.push_back({std::move(s.done), ec ? 0 : s.first_lsn, std::move(s.work)});
    s.done = nullptr;
  }
  if (calls.empty()) return;
  const auto n = calls.size();
  asio::post(fallback_, [calls = std::move(calls), ec]() mutable {
    for (auto& c : calls) asio::dispatch(asio::append(std::move(c.done), ec, c.lsn));
  });
  pending_.fetch_sub(n, std::memory_order_release);  // after the post: see pending()
}

void group_commit::feed_sink(std::vector<submission>& subs, std::uint64_t first_lsn) {
  if (!sink_) return;
  std::vector<owned_entry> durable;
  for (auto& sub : subs) {
    for (auto& r : sub.records) durable.push_back(std::move(r));
  }
  if (!durable.empty()) sink_(first_lsn, std::move(durable));
}

void group_commit::write_loop() {
  std::vector<submission> batch;
  std::vector<journal::entry> entries;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      auto wait_for = [&](writer_wait what, auto done) {
        while (!stopping_ && !done()) {
          waiting_ = what;
          wake_.wait(lock);
        }
        waiting_ = writer_wait::none;
      };
      wait_for(writer_wait::any, [&] { return !queue_.empty(); });
      if (queue_.empty()) {   // stopping, and everything written
        writer_done_ = true;  // the syncer settles what is left
        lock.unlock();
        sync_wake_.notify_one();
        return;
      }
      // While a sync runs nothing written now can become durable before the next one: hold
      // durable submissions until it ends (a submission that completes once written goes now).
      wait_for(writer_wait::sync_ends,
               [&] { return !syncing_ || queued_written_ > 0 || queued_bytes_ >= max_batch_bytes_; });
      // Under load the producers refill the window while their completions run: waking on the
      // first submission would alternate tiny and large batches. When the last batch was large,
      // give the rest of it a moment (a fraction of a sync) to arrive.
      if (last_batch_ > 8 && queue_.size() < last_batch_ / 2 && queued_written_ == 0) {
        gather_target_ = last_batch_;
        waiting_ = writer_wait::more;
        wake_.wait_for(lock, std::chrono::microseconds(50), [&] { return stopping_ || queue_.size() >= last_batch_; });
        waiting_ = writer_wait::none;
      }
      // Everything that arrived while the previous batch was being written, up to a size bound.
      std::size_t bytes = 0;
      while (!queue_.empty() && (batch.empty() || bytes < max_batch_bytes_)) {
        const std::size_t b = bytes_of(queue_.front().records);
        bytes += b;
        queued_bytes_ -= b;
        if (queue_.front().when == completes::written) --queued_written_;
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    last_batch_ = batch.size();
    entries.clear();
    for (const auto& s : batch) {
      for (const auto& r : s.records) entries.push_back({r.type, r.payload});
    }
    auto lsns = writer_.write(entries);
    {
      std::lock_guard lock(mutex_);
      ++stats_.batches;
      stats_.submissions += batch.size();
      stats_.records += entries.size();
      stats_.largest_batch = std::max<std::uint64_t>(stats_.largest_batch, batch.size());
      if (!lsns) ++stats_.failed_batches;
    }
    if (!lsns) {
      complete(batch, durability_error(lsns.error()));
      batch.clear();
      continue;
    }
    std::uint64_t lsn = lsns->first_lsn;
    for (auto& s : batch) {
      s.first_lsn = lsn;
      lsn += s.records.size();
    }
    if (!syncs_) {  // buffered: written is durable
      feed_sink(batch, lsns->first_lsn);
      complete(batch, {});
      batch.clear();
      continue;
    }
    complete(batch, {}, /*written_only=*/true);
    {
      std::lock_guard lock(mutex_);
      unsynced_.push_back({std::move(batch), *lsns, false});
    }
    batch.clear();  // moved-from: reset for reuse
    sync_wake_.notify_one();
  }
}

void group_commit::sync_loop() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      sync_wake_.wait(lock, [&] { return writer_done_ || !unsynced_.empty(); });
      if (unsynced_.empty()) return;  // the writer ended and everything it wrote is settled
      syncing_ = true;
    }
    const auto synced = writer_.sync();
    bool wake = false;
    {
      std::lock_guard lock(mutex_);
      syncing_ = false;
      wake = writer_satisfied();
      if (wake) waiting_ = writer_wait::none;
    }
    if (wake) wake_.notify_one();  // the held batch is written while this one settles
    settle(synced);
  }
}

void group_commit::settle(const journal::sync_result& synced) {
  // The syncer thread only, so durable completions and the sink follow LSN order.
  std::vector<written> ready;
  {
    std::lock_guard lock(mutex_);
    // A batch is settled once a sync covers it, or lost when its last LSN lies in the latest
    // failed sync's range. That range starts right after the durable end and keeps growing until
    // a sync succeeds, and every batch published before a failure is queued here before the
    // writer writes anything else, so the latest range is the only one still to look at.
    while (!unsynced_.empty()) {
      auto& b = unsynced_.front();
      const bool lost =
          synced.lost_last != 0 && b.lsns.last_lsn >= synced.lost_first && b.lsns.last_lsn <= synced.lost_last;
      if (!lost && b.lsns.last_lsn > synced.durable) break;
      if (lost) ++stats_.failed_batches;
      b.lost = lost;
      ready.push_back(std::move(b));
      unsynced_.pop_front();
    }
  }
  for (auto& b : ready) {
    if (b.lost) {
      complete(b.subs, make_error_code(errc::io_error));  // the written completions already ran
      continue;
    }
    feed_sink(b.subs, b.lsns.first_lsn);
    complete(b.subs, {});
  }
}

}  // namespace sluice::persist
