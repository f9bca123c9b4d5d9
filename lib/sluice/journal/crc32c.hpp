// CRC32C (Castagnoli, the iSCSI polynomial of RFC 3720), the checksum of every journal record and
// segment header. Uses the CPU's crc32 instruction (SSE 4.2) when it has one, chosen once at run
// time, and a slicing-by-8 table otherwise; both give the same values (tested against RFC 3720's
// vectors). mask()/unmask() store a CRC the way LevelDB does, so that a CRC of bytes that
// themselves contain CRCs stays well distributed.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace sluice::crc32c {

// Extends `crc` (0 for a fresh checksum) over `data`.
[[nodiscard]] std::uint32_t extend(std::uint32_t crc, const void* data, std::size_t size) noexcept;

[[nodiscard]] inline std::uint32_t value(const void* data, std::size_t size) noexcept { return extend(0, data, size); }
[[nodiscard]] inline std::uint32_t value(std::string_view s) noexcept { return extend(0, s.data(), s.size()); }

// The portable implementation, exposed so tests can compare it with the hardware one.
[[nodiscard]] std::uint32_t extend_portable(std::uint32_t crc, const void* data, std::size_t size) noexcept;
[[nodiscard]] bool hardware_accelerated() noexcept;

constexpr std::uint32_t mask_delta = 0xa282ead8U;

[[nodiscard]] constexpr std::uint32_t mask(std::uint32_t crc) noexcept {
  return ((crc >> 15) | (crc << 17)) + mask_delta;
}
[[nodiscard]] constexpr std::uint32_t unmask(std::uint32_t masked) noexcept {
  const std::uint32_t rot = masked - mask_delta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace sluice::crc32c
