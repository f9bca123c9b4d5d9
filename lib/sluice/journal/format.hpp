// The journal's on-disk format (docs/journal-format.md): a segment header, then records, each a
// 32-byte header and a payload. Every integer is little-endian. The header CRC covers the length,
// so a length is never used before it is verified; the payload has its own CRC.
// Thread-safety: pure functions and constants.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sluice::journal {

constexpr std::array<char, 8> segment_magic = {'S', 'L', 'U', 'I', 'C', 'E', 'J', 'L'};
// Version 2 adds the durable lag to record headers (version 1 wrote 0 there, which was always true
// of its writer); version 3 adds the preallocated flag to the segment header. This build reads all
// three and writes 3.
constexpr std::uint32_t format_version = 3;
constexpr std::uint32_t oldest_format_version = 1;
constexpr std::size_t segment_header_size = 64;
constexpr std::size_t record_header_size = 32;
// Larger lengths are corruption: a message is at most 1 MiB of payload plus its metadata.
constexpr std::uint32_t max_record_payload = 16U << 20;

using instance_id = std::array<std::uint8_t, 16>;

struct segment_header {
  std::uint32_t version = format_version;
  instance_id instance{};
  std::uint64_t base_lsn = 0;  // LSN of the segment's first record
  std::uint64_t created_unix_ms = 0;
  // The writer keeps the file zero-filled ahead of its written end (so a sync writes data blocks
  // only, no file size): zeros from the end of the last batch to the end of the file are the
  // unused rest of the segment, not a torn write (version 3; false before).
  bool preallocated = false;
};

// What a record is; the payload layouts are in record_codec.hpp.
enum class record_type : std::uint8_t {
  enqueue = 1,      // a whole message
  checkout = 2,     // id, attempt, lease epoch: written before the handler runs
  ack = 3,          // id
  retry = 4,        // id, attempt, due time
  snooze = 5,       // id, due time
  dead_letter = 6,  // id, reason, failure, times
  replay = 7,       // id, attempts reset or kept
  purge = 8,        // id
  replace = 9,      // dedup replacement: id, new payload and headers
  void_range = 10,  // LSNs [first, last] never became durable (a failed fsync): ignore them
  lease = 11,       // id, epoch, lease extended until
};

enum record_flags : std::uint8_t {
  batch_end = 1,  // the last record of a group-commit batch
};

// The writer syncs while it writes later batches, so a record says how far the journal was
// durable when its batch was written: everything up to batch_first_lsn - 1 - durable_lag. Recovery
// uses it to tell a torn write (never acknowledged) from damage to acknowledged records.
constexpr std::uint16_t durable_lag_unknown = 0xFFFF;  // the durable end lies further back

struct record_header {
  std::uint32_t payload_length = 0;
  std::uint64_t lsn = 0;
  std::uint64_t batch_first_lsn = 0;  // the first LSN of the batch this record belongs to
  record_type type = record_type::enqueue;
  std::uint8_t flags = 0;
  std::uint16_t durable_lag = 0;  // see above
  std::uint32_t payload_crc = 0;  // masked
};

// The LSN up to which the journal was durable when this record's batch was written (0: nothing
// known).
[[nodiscard]] constexpr std::uint64_t durable_when_written(const record_header& h) noexcept {
  if (h.durable_lag == durable_lag_unknown || h.batch_first_lsn <= h.durable_lag) return 0;
  return h.batch_first_lsn - 1 - h.durable_lag;
}
// The lag to record for a batch starting at batch_first_lsn when everything up to `durable` is.
[[nodiscard]] constexpr std::uint16_t durable_lag_of(std::uint64_t batch_first_lsn, std::uint64_t durable) noexcept {
  if (durable + 1 >= batch_first_lsn) return 0;
  const std::uint64_t lag = batch_first_lsn - 1 - durable;
  return lag >= durable_lag_unknown ? durable_lag_unknown : static_cast<std::uint16_t>(lag);
}

// Appends the encoded segment header (segment_header_size bytes) to out.
void encode(const segment_header& h, std::string& out);
// nullopt when the magic, version, size or CRC is wrong.
[[nodiscard]] std::optional<segment_header> decode_segment_header(std::span<const std::uint8_t> bytes);

// Appends a record (header and payload) to out.
void encode_record(std::uint64_t lsn, std::uint64_t batch_first_lsn, record_type type, std::uint8_t flags,
                   std::string_view payload, std::string& out, std::uint16_t durable_lag = 0);
// nullopt when the header CRC fails or the length is out of range (the payload is not checked).
[[nodiscard]] std::optional<record_header> decode_record_header(std::span<const std::uint8_t> bytes);

// Segment file names: 20 decimal digits of the base LSN, then ".sjl", so names sort by LSN.
[[nodiscard]] std::string segment_file_name(std::uint64_t base_lsn);
[[nodiscard]] std::optional<std::uint64_t> parse_segment_file_name(std::string_view name);

}  // namespace sluice::journal
