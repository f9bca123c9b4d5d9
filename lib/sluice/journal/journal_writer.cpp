// Batch writes and syncs with segment rolls and failure handling (see journal_writer.hpp).
#include "sluice/journal/journal_writer.hpp"

#include "sluice/journal/journal_recovery.hpp"

#include <algorithm>
#include <array>
#include <chrono>

namespace sluice::journal {

namespace {

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

constexpr std::size_t zero_block = 256U << 10;
const std::array<std::uint8_t, zero_block> zeros{};

// Writes zeros over [start, end); false at the first failed write.
bool write_zeros(fs::file& f, std::uint64_t start, std::uint64_t end) {
  for (std::uint64_t at = start; at < end;) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(zero_block, end - at));
    if (f.write_at(at, std::span<const std::uint8_t>(zeros.data(), n))) return false;
    at += n;
  }
  return true;
}

}  // namespace

journal_writer::journal_writer(fs::file_system& fs, writer_options options, std::uint64_t next_lsn)
    : fs_(fs),
      options_(std::move(options)),
      zero_ahead_(std::min(options_.preallocate, options_.segment_bytes)),
      next_lsn_(next_lsn == 0 ? 1 : next_lsn),
      written_lsn_(next_lsn_ - 1),
      durable_lsn_(next_lsn_ - 1),
      void_(options_.initial_void) {}

std::string journal_writer::current_segment() const {
  std::lock_guard lock(mutex_);
  return segment_name_;
}

std::uint64_t journal_writer::durable_lsn() const {
  std::lock_guard lock(mutex_);
  return durable_lsn_;
}

writer_stats journal_writer::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

boost::system::error_code journal_writer::open_segment() {
  const std::string name = segment_file_name(next_lsn_);
  const std::string path = options_.dir + "/" + name;
  auto opened = fs_.open(path, fs::open_mode::create_exclusive);
  if (!opened && opened.error() == boost::system::errc::file_exists) {
    // A leftover of an earlier attempt that failed before its first batch: nothing in it counts.
    (void)fs_.remove(path);
    opened = fs_.open(path, fs::open_mode::create_exclusive);
  }
  if (!opened) return opened.error();
  segment_header h;
  h.instance = options_.instance;
  h.base_lsn = next_lsn_;
  h.created_unix_ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  h.preallocated = zero_ahead_ > 0;
  std::string header;
  encode(h, header);
  auto& f = *opened;
  boost::system::error_code ec = f->write_at(0, bytes_of(header));
  // The first stretch of zeros is synced with the header: the first batches overwrite at once. If
  // it cannot be written, the segment appends instead.
  const bool zero_filled =
      !ec && h.preallocated && write_zeros(*f, segment_header_size, segment_header_size + zero_ahead_);
  if (!ec) ec = f->sync_data();
  if (!ec) ec = fs_.sync_dir(options_.dir);
  if (ec) {
    f.reset();
    (void)fs_.remove(path);  // best effort; recovery ignores a header-only segment
    std::lock_guard lock(mutex_);
    ++stats_.write_failures;
    return ec;
  }
  std::lock_guard lock(mutex_);
  file_ = std::shared_ptr<fs::file>(std::move(f));
  segment_name_ = name;
  segment_base_ = h.base_lsn;
  end_ = segment_header_size;
  zero_end_ = zero_filled ? segment_header_size + zero_ahead_ : segment_header_size;
  preallocating_ = zero_filled;
  if (h.preallocated && !zero_filled) ++stats_.preallocation_failures;
  ++stats_.segments;
  return {};
}

void journal_writer::preallocate(const std::shared_ptr<fs::file>& file, std::uint64_t from) {
  // Half the stretch ahead is used up: zero-fill the next one and start writing it out now, so
  // the sync that meets it has (almost) nothing of it left to write.
  if (!preallocating_ || from + zero_ahead_ / 2 < zero_end_) return;
  const std::uint64_t start = std::max(zero_end_, from);
  const std::uint64_t end = start + zero_ahead_;
  if (!write_zeros(*file, start, end)) {
    // Out of space (or an I/O error the next batch will meet too): this segment appends from
    // here. The zeros written so far are harmless: recovery reads them as unused space.
    preallocating_ = false;
    std::lock_guard lock(mutex_);
    ++stats_.preallocation_failures;
    return;
  }
  (void)file->start_writeback(start, end - start);  // advice: the sync writes them otherwise
  zero_end_ = end;
}

void journal_writer::add_void(std::uint64_t first, std::uint64_t last) {
  if (first > last) return;
  if (void_) {
    void_->first = std::min(void_->first, first);
    void_->second = std::max(void_->second, last);
  } else {
    void_.emplace(first, last);
  }
}

boost::system::result<written_batch> journal_writer::write(std::span<const entry> batch) {
  if (batch.empty()) {  // a barrier: durable once everything written before it is
    std::lock_guard lock(mutex_);
    return written_batch{written_lsn_ + 1, written_lsn_};
  }
  std::shared_ptr<fs::file> file;
  std::uint64_t durable = 0;
  {
    std::unique_lock lock(mutex_);
    if (file_ && (sealed_ || poisoned_ || end_ >= options_.segment_bytes)) {
      // The next segment starts only once this one is durable to its end (or its sync failed):
      // then only the newest segment can hold a torn write. Another thread may be syncing it
      // already; otherwise this thread syncs (never both at once).
      (void)sync_locked(lock);
      if (poisoned_) add_void(lost_first_, next_lsn_ - 1);  // everything on it that was not durable
      file_.reset();
      sealed_ = false;
      poisoned_ = false;
    }
    file = file_;
    durable = durable_lsn_;
  }
  if (!file) {
    if (auto ec = open_segment()) return ec;
    std::lock_guard lock(mutex_);
    file = file_;
  }
  const std::uint64_t first = next_lsn_;
  const std::uint16_t lag = durable_lag_of(first, durable);
  std::uint64_t lsn = first;
  buffer_.clear();
  const auto pending_void = void_;
  const std::size_t total = batch.size() + (pending_void ? 1 : 0);
  std::size_t index = 0;
  auto add = [&](record_type type, std::string_view payload) {
    ++index;
    encode_record(lsn++, first, type, index == total ? batch_end : 0, payload, buffer_, lag);
  };
  if (pending_void) add(record_type::void_range, encode_void_range(pending_void->first, pending_void->second));
  const std::uint64_t entries_at = end_ + buffer_.size();  // after the void range, if any
  for (const auto& e : batch) add(e.type, e.payload);
  const std::uint64_t last = lsn - 1;
  const written_batch out{pending_void ? first + 1 : first, last, segment_base_, entries_at};

  if (auto ec = file->write_at(end_, bytes_of(buffer_))) {
    // Cut back to the last good end (best effort: the void range covers the batch either way);
    // the segment takes nothing more, and its earlier batches stay (the next sync makes them durable).
    (void)file->truncate(end_);
    std::lock_guard lock(mutex_);
    ++stats_.write_failures;
    sealed_ = true;
    add_void(first, last);
    next_lsn_ = last + 1;
    return ec;
  }
  preallocate(file, end_ + buffer_.size());
  std::lock_guard lock(mutex_);
  end_ += buffer_.size();
  next_lsn_ = last + 1;
  if (poisoned_) {
    // A sync of this segment failed while the batch was being written: it fails too (the void
    // range recorded at the next roll reaches its last LSN), and the void it carried is still owed.
    return make_error_code(boost::system::errc::io_error);
  }
  void_.reset();
  written_lsn_ = last;
  if (!options_.sync) durable_lsn_ = last;  // buffered: written is all there is
  ++stats_.batches;
  stats_.records += total;
  stats_.bytes += buffer_.size();
  return out;
}

sync_result journal_writer::sync() {
  std::unique_lock lock(mutex_);
  return sync_locked(lock);
}

sync_result journal_writer::sync_locked(std::unique_lock<std::mutex>& lock) {
  // One sync at a time, whichever thread runs it (an I/O thread after its batch, or a write at a roll).
  sync_done_.wait(lock, [&] { return !syncing_; });
  if (poisoned_ || !file_ || written_lsn_ <= durable_lsn_ || !options_.sync) {
    return {durable_lsn_, lost_first_, lost_last_, {}};
  }
  const std::shared_ptr<fs::file> file = file_;
  const std::uint64_t target = written_lsn_;
  syncing_ = true;
  lock.unlock();
  // Outside the lock: the writer goes on writing the next batches meanwhile. It never rolls while
  // this runs (a roll syncs first, and waits for this one), so `file` is still the segment.
  const boost::system::error_code ec = file->sync_data();
  lock.lock();
  syncing_ = false;
  sync_done_.notify_all();
  if (!ec) {
    durable_lsn_ = std::max(durable_lsn_, target);
    ++stats_.syncs;
    return {durable_lsn_, lost_first_, lost_last_, {}};
  }
  // Never retried on this segment (fsyncgate): everything written to it and not yet durable is
  // lost, including batches the writer finishes after this.
  ++stats_.sync_failures;
  poisoned_ = true;
  lost_first_ = durable_lsn_ + 1;
  lost_last_ = written_lsn_;
  return {durable_lsn_, lost_first_, lost_last_, ec};
}

boost::system::result<std::uint64_t> journal_writer::append(std::span<const entry> batch) {
  auto written = write(batch);
  if (!written) return written.error();
  if (batch.empty()) return written->first_lsn;
  const auto synced = sync();
  if (synced.error) return synced.error;
  return written->first_lsn;
}

}  // namespace sluice::journal
