// Reading journaled records back by position (see record_reader.hpp).
#include "sluice/journal/record_reader.hpp"

#include "sluice/error.hpp"
#include "sluice/journal/crc32c.hpp"
#include "sluice/journal/record_codec.hpp"

#include <algorithm>
#include <utility>

namespace sluice::journal {

record_reader::record_reader(fs::file_system& files, std::string journal_dir, std::size_t window)
    : files_(files), dir_(std::move(journal_dir)), window_size_(std::max<std::size_t>(window, 4096)) {}

void record_reader::release() {
  file_.reset();
  window_.clear();
  window_.shrink_to_fit();
}

bool record_reader::load(std::uint64_t segment_base, std::uint64_t offset, std::size_t bytes,
                         boost::system::error_code& ec, std::string& detail) {
  if (file_ && file_base_ == segment_base && offset >= window_offset_ &&
      offset + bytes <= window_offset_ + window_.size()) {
    return true;
  }
  const std::string path = dir_ + "/" + segment_file_name(segment_base);
  if (!file_ || file_base_ != segment_base) {
    window_.clear();
    auto opened = files_.open(path, fs::open_mode::read_only);
    if (!opened) {
      ec = opened.error();
      detail = "cannot open journal segment " + path + " to read a message back for the snapshot";
      return false;
    }
    file_ = std::move(*opened);
    file_base_ = segment_base;
  }
  window_.resize(std::max(bytes, window_size_));
  std::size_t got = 0;
  if (auto e = file_->read_at(offset, window_, got)) {
    window_.clear();
    ec = e;
    detail = "cannot read journal segment " + path + " at offset " + std::to_string(offset);
    return false;
  }
  window_.resize(got);
  window_offset_ = offset;
  if (got < bytes) {
    window_.clear();
    ec = make_error_code(errc::journal_corrupt);
    detail = "journal segment " + path + " ends before the record at offset " + std::to_string(offset);
    return false;
  }
  return true;
}

boost::system::result<durable_message> record_reader::enqueued(const record_locator& where, std::string& detail) {
  boost::system::error_code ec;
  const std::size_t bytes = record_header_size + where.payload_size;
  if (!load(where.segment_base, where.offset, bytes, ec, detail)) return ec;
  const std::span<const std::uint8_t> record(window_.data() + (where.offset - window_offset_), bytes);
  const auto h = decode_record_header(record.first(record_header_size));
  const auto payload = record.subspan(record_header_size);
  auto damaged = [&](const char* why) {
    detail = "journal record at LSN " + std::to_string(where.lsn) + " (segment " +
             segment_file_name(where.segment_base) + ", offset " + std::to_string(where.offset) +
             ") read back for the snapshot " + why;
    return make_error_code(errc::journal_corrupt);
  };
  if (!h) return damaged("has a damaged header");
  if (h->lsn != where.lsn || h->type != record_type::enqueue || h->payload_length != where.payload_size) {
    return damaged("is another record");
  }
  if (crc32c::unmask(h->payload_crc) != crc32c::value(payload.data(), payload.size())) {
    return damaged("fails its payload CRC");
  }
  durable_message d;
  if (!decode_enqueue({reinterpret_cast<const char*>(payload.data()), payload.size()}, d.queue, *d.m)) {
    return damaged("does not decode");
  }
  place_enqueued(d, where.lsn);
  return d;
}

}  // namespace sluice::journal
