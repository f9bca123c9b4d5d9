// Batch appends with segment rolls and failure handling (see journal_writer.hpp).
#include "sluice/journal/journal_writer.hpp"

#include "sluice/journal/journal_recovery.hpp"

#include <chrono>

namespace sluice::journal {

namespace {

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

journal_writer::journal_writer(fs::file_system& fs, writer_options options, std::uint64_t next_lsn)
    : fs_(fs), options_(std::move(options)), next_lsn_(next_lsn == 0 ? 1 : next_lsn), void_(options_.initial_void) {}

std::string journal_writer::current_segment() const { return segment_name_; }

boost::system::error_code journal_writer::open_segment() {
  file_.reset();
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
  std::string header;
  encode(h, header);
  auto& f = *opened;
  boost::system::error_code ec = f->write_at(0, bytes_of(header));
  if (!ec) ec = f->sync_data();
  if (!ec) ec = fs_.sync_dir(options_.dir);
  if (ec) {
    f.reset();
    (void)fs_.remove(path);  // best effort; recovery ignores a header-only segment
    return ec;
  }
  file_ = std::move(f);
  segment_name_ = name;
  end_ = segment_header_size;
  ++stats_.segments;
  return {};
}

void journal_writer::seal(std::uint64_t first, std::uint64_t last) {
  if (void_) {
    void_->first = std::min(void_->first, first);
    void_->second = std::max(void_->second, last);
  } else {
    void_.emplace(first, last);
  }
  file_.reset();  // never written again
  next_lsn_ = last + 1;
}

boost::system::result<std::uint64_t> journal_writer::append(std::span<const entry> batch) {
  if (batch.empty()) return next_lsn_;
  if (!file_ || end_ >= options_.segment_bytes) {
    if (auto ec = open_segment()) return ec;
  }
  const std::uint64_t first = next_lsn_;
  std::uint64_t lsn = first;
  buffer_.clear();
  const std::size_t total = batch.size() + (void_ ? 1 : 0);
  std::size_t index = 0;
  auto add = [&](record_type type, std::string_view payload) {
    ++index;
    encode_record(lsn++, first, type, index == total ? batch_end : 0, payload, buffer_);
  };
  std::string void_payload;
  if (void_) {
    void_payload = encode_void_range(void_->first, void_->second);
    add(record_type::void_range, void_payload);
  }
  for (const auto& e : batch) add(e.type, e.payload);
  const std::uint64_t last = lsn - 1;

  if (auto ec = file_->write_at(end_, bytes_of(buffer_))) {
    ++stats_.write_failures;
    // Cut back to the last good end; if the cut is durable, nothing of the batch can reappear
    // and its LSNs can be reused.
    if (!file_->truncate(end_) && !file_->sync_data()) return ec;
    seal(first, last);
    return ec;
  }
  if (auto ec = options_.sync ? file_->sync_data() : boost::system::error_code{}) {
    ++stats_.sync_failures;
    seal(first, last);  // never retry an fsync on this segment
    return ec;
  }
  ++stats_.syncs;
  ++stats_.batches;
  stats_.records += total;
  stats_.bytes += buffer_.size();
  end_ += buffer_.size();
  next_lsn_ = last + 1;
  void_.reset();
  return void_payload.empty() ? first : first + 1;
}

}  // namespace sluice::journal
