// Segment scanning and tail classification (see segment_scan.hpp).
#include "sluice/journal/segment_scan.hpp"

#include "sluice/journal/crc32c.hpp"

#include <algorithm>

namespace sluice::journal {

namespace {

bool all_zero(std::span<const std::uint8_t> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

// A whole, valid record at `off` (header and payload CRCs both hold)?
std::optional<record_header> whole_record_at(std::span<const std::uint8_t> bytes, std::size_t off) {
  auto h = decode_record_header(bytes.subspan(off));
  if (!h) return std::nullopt;
  const std::size_t end = off + record_header_size + h->payload_length;
  if (end > bytes.size()) return std::nullopt;
  const auto payload = bytes.subspan(off + record_header_size, h->payload_length);
  if (crc32c::unmask(h->payload_crc) != crc32c::value(payload.data(), payload.size())) return std::nullopt;
  return h;
}

}  // namespace

segment_scan scan_segment(std::span<const std::uint8_t> bytes, std::uint64_t expected_first_lsn, bool last) {
  segment_scan out;
  scan_segment(bytes, expected_first_lsn, last, out);
  return out;
}

void scan_segment(std::span<const std::uint8_t> bytes, std::uint64_t expected_first_lsn, bool last, segment_scan& out) {
  std::vector<scanned_record> records = std::move(out.records);  // only its capacity is kept
  records.clear();
  out = segment_scan{};
  out.records = std::move(records);
  auto fail = [&](std::size_t offset, std::uint64_t after, std::string why) {
    out.corrupt = corruption{offset, after, std::move(why)};
  };
  out.header = decode_segment_header(bytes);
  if (!out.header) {
    // The writer syncs a new segment's header before its first record: a bad header is torn only
    // in a newest segment that holds nothing beyond it.
    if (last && (bytes.size() <= segment_header_size || all_zero(bytes.subspan(segment_header_size)))) {
      out.torn = torn_tail{0, bytes.size(), 0, bytes.empty() ? "empty segment" : "unfinished segment header"};
      return;
    }
    return fail(0, expected_first_lsn == 0 ? 0 : expected_first_lsn - 1, "bad segment header");
  }
  if (expected_first_lsn != 0 && out.header->base_lsn != expected_first_lsn) {
    return fail(0, expected_first_lsn - 1,
                "segment starts at LSN " + std::to_string(out.header->base_lsn) + ", expected " +
                    std::to_string(expected_first_lsn));
  }
  std::uint64_t expect = out.header->base_lsn;
  std::uint64_t batch_first = expect;
  std::size_t off = segment_header_size;
  std::size_t batch_start = off;
  out.durable_end = off;
  out.next_lsn = expect;
  // The current batch's records go straight into out.records; they are cut again if the batch
  // does not end.
  std::size_t batch_records = 0;
  std::string damage;
  bool provable = false;  // the damage cannot be a torn write (a CRC-valid record out of place)
  while (off < bytes.size()) {
    auto h = decode_record_header(bytes.subspan(off));
    if (!h) {
      damage = bytes.size() - off < record_header_size ? "incomplete record header" : "bad record header CRC";
      break;
    }
    if (h->lsn != expect || h->batch_first_lsn != batch_first) {
      provable = whole_record_at(bytes, off).has_value();
      damage = "record LSN " + std::to_string(h->lsn) + " (batch " + std::to_string(h->batch_first_lsn) +
               "), expected " + std::to_string(expect) + " (batch " + std::to_string(batch_first) + ")";
      break;
    }
    const std::size_t end = off + record_header_size + h->payload_length;
    if (end > bytes.size()) {
      damage = "incomplete record";
      break;
    }
    const auto payload = bytes.subspan(off + record_header_size, h->payload_length);
    if (crc32c::unmask(h->payload_crc) != crc32c::value(payload.data(), payload.size())) {
      damage = "bad payload CRC";
      break;
    }
    out.records.push_back(scanned_record{*h, payload, off});
    ++batch_records;
    ++expect;
    off = end;
    if (h->flags & batch_end) {
      batch_records = 0;
      batch_first = expect;
      batch_start = off;
      out.durable_end = off;
      out.next_lsn = expect;
    }
  }
  const bool unfinished = batch_records > 0;
  out.records.resize(out.records.size() - batch_records);
  if (damage.empty() && !unfinished) return;  // clean end
  // A preallocated segment: zeros from a batch end to the end of the file are its unused rest.
  if (!unfinished && out.header->preallocated && all_zero(bytes.subspan(off))) return;
  if (damage.empty()) damage = "unfinished batch (no batch end)";
  const std::uint64_t last_good = out.next_lsn - 1;
  if (!last) return fail(off, last_good, damage + " in a sealed segment");
  if (provable) return fail(off, last_good, damage);
  // A whole valid record after the damage whose batch was written once the damaged batch was
  // durable proves the damage is not a torn write.
  for (std::size_t probe = off + 1; probe + record_header_size <= bytes.size(); ++probe) {
    if (auto later = whole_record_at(bytes, probe); later && durable_when_written(*later) >= batch_first) {
      return fail(off, last_good,
                  damage + "; a valid record (LSN " + std::to_string(later->lsn) + ", at offset " +
                      std::to_string(probe) + ") was written after LSN " +
                      std::to_string(durable_when_written(*later)) + " was durable");
    }
  }
  const bool zeros = all_zero(bytes.subspan(batch_start));
  out.torn = torn_tail{batch_start, bytes.size() - batch_start, unfinished ? batch_first : 0,
                       zeros ? "zero-filled tail" : damage};
}

}  // namespace sluice::journal
