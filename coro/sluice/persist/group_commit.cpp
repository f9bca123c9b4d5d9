// Group commit on two I/O threads that take turns writing and syncing (see group_commit.hpp).
#include "sluice/persist/group_commit.hpp"

#include "sluice/error.hpp"
#include "sluice/journal/record_codec.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>

#include <cerrno>
#include <utility>

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
      threads_{std::thread([this] { io_loop(); }), std::thread([this] { io_loop(); })} {}

group_commit::~group_commit() { stop(); }

namespace {
std::size_t bytes_of(const std::vector<owned_entry>& records, const enqueue_source& source,
                     const std::optional<compact_event>& small = {}) {
  std::size_t bytes = small ? journal::record_header_size + 40 : 0;  // an id and two varints
  for (const auto& r : records) bytes += r.payload.size() + journal::record_header_size;
  if (source.m != nullptr) {  // near enough for batch bounds: the fixed fields are small
    bytes += journal::record_header_size + source.queue.size() + source.m->type.size() + source.m->payload.size() +
             source.m->correlation_id.size() + source.m->dedup_key.size() + source.m->ordering_key.size() + 96;
    for (const auto& [k, v] : source.m->headers) bytes += k.size() + v.size() + 4;
  }
  return bytes;
}
}  // namespace

bool group_commit::can_write() const {
  return !writing_ && !queue_.empty() &&
         (!syncing_ || queued_written_ > 0 || queued_bytes_ >= max_batch_bytes_ || stopping_);
}

bool group_commit::can_sync() const { return syncs_ && !settling_ && !unsynced_.empty(); }

bool group_commit::finished() const {
  // What is left for the other thread: a batch it writes (it then syncs it) or a settle it runs
  // (it then syncs what was written meanwhile).
  return stopping_ && queue_.empty() && !writing_ && (unsynced_.empty() || settling_);
}

bool group_commit::claim_wake() {
  if (idle_ == 0 || wake_sent_ || !can_write()) return false;
  wake_sent_ = true;  // one wake-up is enough: the woken thread takes everything queued
  return true;
}

void group_commit::submit(std::vector<owned_entry> records, done_handler done, completes when) {
  const std::size_t bytes = bytes_of(records, {});
  enqueue({std::move(records), {}, {}, std::move(done), {}, when, 0}, bytes);
}

void group_commit::submit_enqueue(enqueue_source source, done_handler done) {
  const std::size_t bytes = bytes_of({}, source);
  enqueue({{}, source, {}, std::move(done), {}, completes::durable, 0}, bytes);
}

void group_commit::submit_event(compact_event e, done_handler done, completes when) {
  const std::size_t bytes = bytes_of({}, {}, e);
  enqueue({{}, {}, e, std::move(done), {}, when, 0}, bytes);
}

void group_commit::enqueue(submission&& s, std::size_t bytes) {
  {
    std::unique_lock lock(mutex_);
    if (!stopping_) {
      pending_.fetch_add(1, std::memory_order_relaxed);
      s.work = asio::prefer(fallback_, asio::execution::outstanding_work.tracked);
      if (s.when == completes::written) ++queued_written_;
      queue_.push_back(std::move(s));
      queued_bytes_ += bytes;
      const bool gathered = gathering_ && queue_.size() >= gather_target_;
      const bool wake = claim_wake();
      lock.unlock();  // before the notify: the woken thread would only block on the mutex
      if (gathered) gathered_.notify_one();
      if (wake) wake_.notify_one();
      return;
    }
  }
  asio::post(fallback_, asio::append(std::move(s.done), make_error_code(errc::shutting_down), std::uint64_t{0}));
}

void group_commit::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  gathered_.notify_all();
  const auto me = std::this_thread::get_id();
  for (auto& t : threads_) {
    if (t.joinable() && t.get_id() != me) t.join();
  }
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

durable_batch group_commit::for_sink(const durable_batch& written, const journal::written_batch& lsns) {
  durable_batch out;
  out.first_lsn = lsns.first_lsn;
  out.segment_base = lsns.segment_base;
  out.records.reserve(written.records.size());
  std::uint64_t at = lsns.offset;
  for (const auto& r : written.records) {
    auto& o = out.records.emplace_back(r);
    if (r.in_journal) {
      o.at = at;
      o.offset = 0;
    } else {
      o.offset = out.bytes.size();
      out.bytes += written.payload(r);
    }
    at += journal::record_header_size + r.size;
  }
  return out;
}

void group_commit::feed_sink(durable_batch&& records) {
  if (sink_ && !records.records.empty()) sink_(std::move(records));
}

void group_commit::io_loop() {
  std::vector<submission> batch;
  durable_batch records;
  std::vector<journal::entry> entries;
  std::unique_lock lock(mutex_);
  for (;;) {
    if (can_sync()) {
      sync_and_settle(lock);
    } else if (can_write()) {
      write_batch(lock, batch, records, entries);
    } else if (finished()) {
      wake_.notify_all();  // the other thread may be waiting for the same end
      return;
    } else {
      ++idle_;
      wake_.wait(lock);
      --idle_;
      wake_sent_ = false;
    }
  }
}

void group_commit::write_batch(std::unique_lock<std::mutex>& lock, std::vector<submission>& batch,
                               durable_batch& records, std::vector<journal::entry>& entries) {
  writing_ = true;
  // Under load the producers refill the window while their completions run: taking the first
  // submission alone would alternate tiny and large batches. When the last batch was large, give
  // the rest of it a moment (a fraction of a sync) to arrive.
  if (last_batch_ > 8 && queue_.size() < last_batch_ / 2 && queued_written_ == 0 && !stopping_) {
    gathering_ = true;
    gather_target_ = last_batch_;
    gathered_.wait_for(lock, std::chrono::microseconds(50),
                       [&] { return stopping_ || queue_.size() >= gather_target_; });
    gathering_ = false;
  }
  // Everything that arrived while the previous batch was being written, up to a size bound.
  std::size_t bytes = 0;
  while (!queue_.empty() && (batch.empty() || bytes < max_batch_bytes_)) {
    const std::size_t b = bytes_of(queue_.front().records, queue_.front().source, queue_.front().small);
    bytes += b;
    queued_bytes_ -= b;
    if (queue_.front().when == completes::written) --queued_written_;
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  lock.unlock();
  last_batch_ = batch.size();
  durable_batch sunk;  // what the sink gets of this batch (records keeps its buffer for the next)
  // The batch's payloads back to back: enqueues encoded here from their messages, the rest
  // copied. The same buffer goes on to the sink.
  records.bytes.clear();
  records.records.clear();
  for (const auto& s : batch) {
    if (s.source.m != nullptr) {
      const std::size_t at = records.bytes.size();
      journal::encode_enqueue(s.source.queue, *s.source.m, records.bytes);
      records.records.push_back(
          {journal::record_type::enqueue, at, records.bytes.size() - at, true, 0, s.source.m->id});
    }
    if (s.small) {
      const std::size_t at = records.bytes.size();
      const journal::record_type type = std::visit(
          [&](const auto& ev) { return journal::encode_event(journal::event(ev), records.bytes); }, *s.small);
      records.records.push_back({type, at, records.bytes.size() - at, false, 0, {}});
    }
    for (const auto& r : s.records) {
      records.records.push_back({r.type, records.bytes.size(), r.payload.size(), false, 0, {}});
      records.bytes += r.payload;
    }
  }
  entries.clear();
  for (const auto& r : records.records) entries.push_back({r.type, records.payload(r)});
  auto lsns = writer_.write(entries);
  if (!lsns) {
    complete(batch, durability_error(lsns.error()));
  } else {
    std::uint64_t lsn = lsns->first_lsn;
    for (auto& s : batch) {
      s.first_lsn = lsn;
      lsn += s.count();
    }
    records.first_lsn = lsns->first_lsn;
    if (sink_) sunk = for_sink(records, *lsns);
    if (!syncs_) {  // buffered: written is durable (fed and completed before the next batch)
      if (sink_) feed_sink(std::exchange(sunk, {}));
      complete(batch, {});
    } else {
      complete(batch, {}, /*written_only=*/true);
    }
  }
  lock.lock();
  ++stats_.batches;
  stats_.submissions += batch.size();
  stats_.records += entries.size();
  stats_.largest_batch = std::max<std::uint64_t>(stats_.largest_batch, batch.size());
  if (!lsns) ++stats_.failed_batches;
  if (lsns && syncs_) {
    unsynced_.push_back({std::move(batch), *lsns, {}, false});
    if (sink_) unsynced_.back().records = std::move(sunk);
  }
  batch.clear();  // moved-from or completed: reset for reuse
  writing_ = false;
  if (claim_wake()) {  // this thread syncs next: more that may go now is the other one's
    lock.unlock();
    wake_.notify_one();
    lock.lock();
  }
}

void group_commit::sync_and_settle(std::unique_lock<std::mutex>& lock) {
  settling_ = true;
  syncing_ = true;
  lock.unlock();
  const auto synced = writer_.sync();
  lock.lock();
  syncing_ = false;
  const bool wake = claim_wake();
  lock.unlock();
  if (wake) wake_.notify_one();  // the held batch is written while this one settles
  settle(synced);
  lock.lock();
  settling_ = false;
}

void group_commit::settle(const journal::sync_result& synced) {
  // One thread at a time (settling_), so durable completions and the sink follow LSN order.
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
    feed_sink(std::move(b.records));
    complete(b.subs, {});
  }
}

}  // namespace sluice::persist
