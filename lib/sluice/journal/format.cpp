// Journal encoding (see format.hpp and docs/journal-format.md).
#include "sluice/journal/format.hpp"

#include "sluice/journal/crc32c.hpp"
#include "sluice/journal/little_endian.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

namespace sluice::journal {

using le::get32;
using le::get64;
using le::put32;
using le::put64;

void encode(const segment_header& h, std::string& out) {
  const std::size_t start = out.size();
  out.append(segment_magic.data(), segment_magic.size());
  put32(out, h.version);
  put32(out, static_cast<std::uint32_t>(segment_header_size));
  out.append(reinterpret_cast<const char*>(h.instance.data()), h.instance.size());
  put64(out, h.base_lsn);
  put64(out, h.created_unix_ms);
  out.push_back(h.preallocated ? '\1' : '\0');
  out.append(11, '\0');
  const auto crc = crc32c::mask(crc32c::value(out.data() + start, out.size() - start));
  put32(out, crc);
}

std::optional<segment_header> decode_segment_header(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < segment_header_size) return std::nullopt;
  const std::uint8_t* p = bytes.data();
  if (crc32c::unmask(get32(p + 60)) != crc32c::value(p, 60)) return std::nullopt;
  if (std::memcmp(p, segment_magic.data(), segment_magic.size()) != 0) return std::nullopt;
  segment_header h;
  h.version = get32(p + 8);
  if (h.version < oldest_format_version || h.version > format_version || get32(p + 12) != segment_header_size) {
    return std::nullopt;
  }
  std::copy_n(p + 16, h.instance.size(), h.instance.begin());
  h.base_lsn = get64(p + 32);
  h.created_unix_ms = get64(p + 40);
  h.preallocated = h.version >= 3 && (p[48] & 1U) != 0;
  return h;
}

void encode_record(std::uint64_t lsn, std::uint64_t batch_first_lsn, record_type type, std::uint8_t flags,
                   std::string_view payload, std::string& out, std::uint16_t durable_lag) {
  // The header is built on the stack and appended once, then the payload.
  std::array<char, record_header_size> h{};
  le::store32(h.data() + 4, static_cast<std::uint32_t>(payload.size()));
  le::store64(h.data() + 8, lsn);
  le::store64(h.data() + 16, batch_first_lsn);
  h[24] = static_cast<char>(type);
  h[25] = static_cast<char>(flags);
  h[26] = static_cast<char>(durable_lag & 0xffU);
  h[27] = static_cast<char>(durable_lag >> 8);
  le::store32(h.data() + 28, crc32c::mask(crc32c::value(payload.data(), payload.size())));
  le::store32(h.data(), crc32c::mask(crc32c::value(h.data() + 4, record_header_size - 4)));
  out.reserve(out.size() + record_header_size + payload.size());
  out.append(h.data(), h.size());
  out.append(payload);
}

std::optional<record_header> decode_record_header(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < record_header_size) return std::nullopt;
  const std::uint8_t* p = bytes.data();
  if (crc32c::unmask(get32(p)) != crc32c::value(p + 4, record_header_size - 4)) return std::nullopt;
  record_header h;
  h.payload_length = get32(p + 4);
  h.lsn = get64(p + 8);
  h.batch_first_lsn = get64(p + 16);
  h.type = static_cast<record_type>(p[24]);
  h.flags = p[25];
  h.durable_lag = static_cast<std::uint16_t>(p[26] | (p[27] << 8));
  h.payload_crc = get32(p + 28);
  if (h.payload_length > max_record_payload) return std::nullopt;
  if (h.lsn == 0 || h.batch_first_lsn == 0 || h.batch_first_lsn > h.lsn) return std::nullopt;
  return h;
}

std::string segment_file_name(std::uint64_t base_lsn) {
  std::string digits = std::to_string(base_lsn);
  return std::string(20 - std::min<std::size_t>(20, digits.size()), '0') + digits + ".sjl";
}

std::optional<std::uint64_t> parse_segment_file_name(std::string_view name) {
  if (name.size() != 24 || name.substr(20) != ".sjl") return std::nullopt;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + 20, v);
  if (ec != std::errc{} || end != name.data() + 20) return std::nullopt;
  return v;
}

}  // namespace sluice::journal
