// Group commit on a writer thread (see group_commit.hpp).
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
    : writer_(fs, std::move(options), next_lsn),
      fallback_(std::move(fallback)),
      sink_(std::move(sink)),
      max_batch_bytes_(max_batch_bytes),
      thread_([this] { run(); }) {}

group_commit::~group_commit() { stop(); }

void group_commit::submit(std::vector<owned_entry> records, done_handler done) {
  {
    std::unique_lock lock(mutex_);
    if (!stopping_) {
      pending_.fetch_add(1, std::memory_order_relaxed);
      queue_.push_back(
          {std::move(records), std::move(done), asio::prefer(fallback_, asio::execution::outstanding_work.tracked)});
      lock.unlock();
      wake_.notify_one();
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
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

group_commit_stats group_commit::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

journal::writer_stats group_commit::writer_stats() const {
  std::lock_guard lock(mutex_);
  return writer_stats_;
}

void group_commit::complete(std::vector<submission>& batch, error_code ec, std::uint64_t first_lsn) {
  // One post per batch, not per submission: on the application's executor each completion is
  // dispatched to its own associated executor (inline when that is the same context).
  const auto n = batch.size();
  asio::post(fallback_, [batch = std::move(batch), ec, first_lsn]() mutable {
    std::uint64_t lsn = first_lsn;
    for (auto& s : batch) {
      const std::uint64_t mine = ec ? 0 : lsn;
      lsn += s.records.size();
      asio::dispatch(asio::append(std::move(s.done), ec, mine));
    }
  });
  batch.clear();                                     // moved-from: reset for reuse
  pending_.fetch_sub(n, std::memory_order_release);  // after the post: see pending()
}

void group_commit::run() {
  std::vector<submission> batch;
  std::vector<journal::entry> entries;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything written
      // Under load the producers refill the window while their completions run: waking on the
      // first submission would alternate tiny and large batches. When the last batch was large,
      // give the rest of it a moment (never more than a fraction of an fsync) to arrive.
      if (last_batch_ > 8 && queue_.size() < last_batch_ / 2) {
        wake_.wait_for(lock, std::chrono::microseconds(50), [&] { return stopping_ || queue_.size() >= last_batch_; });
      }
      // Everything that arrived while the previous batch was being synced, up to a size bound.
      std::size_t bytes = 0;
      while (!queue_.empty() && (batch.empty() || bytes < max_batch_bytes_)) {
        for (const auto& r : queue_.front().records) bytes += r.payload.size() + journal::record_header_size;
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    last_batch_ = batch.size();
    entries.clear();
    for (const auto& s : batch) {
      for (const auto& r : s.records) entries.push_back({r.type, r.payload});
    }
    auto written = writer_.append(entries);
    {
      std::lock_guard lock(mutex_);
      ++stats_.batches;
      stats_.submissions += batch.size();
      stats_.records += entries.size();
      stats_.largest_batch = std::max<std::uint64_t>(stats_.largest_batch, batch.size());
      if (!written) ++stats_.failed_batches;
      writer_stats_ = writer_.stats();
    }
    if (written) {
      if (sink_) {
        std::vector<owned_entry> durable;
        durable.reserve(entries.size());
        for (auto& sub : batch) {
          for (auto& r : sub.records) durable.push_back(std::move(r));  // sizes stay: complete() counts LSNs
        }
        sink_(*written, std::move(durable));
      }
      complete(batch, {}, *written);
    } else {
      complete(batch, durability_error(written.error()), 0);
    }
  }
}

}  // namespace sluice::persist
