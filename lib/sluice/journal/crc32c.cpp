// CRC32C: hardware crc32 instruction when available, slicing-by-8 otherwise (see crc32c.hpp).
#include "sluice/journal/crc32c.hpp"

#include <array>
#include <bit>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace sluice::crc32c {

namespace {

constexpr std::uint32_t polynomial = 0x82f63b78U;  // reflected Castagnoli

using table_t = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr table_t make_tables() {
  table_t t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1U) ? (c >> 1) ^ polynomial : c >> 1;
    t[0][i] = c;
  }
  for (std::size_t s = 1; s < 8; ++s) {
    for (std::uint32_t i = 0; i < 256; ++i) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xffU];
  }
  return t;
}

constexpr table_t tables = make_tables();

std::uint32_t portable(std::uint32_t crc, const unsigned char* p, std::size_t n) noexcept {
  crc = ~crc;
  while (n >= 8) {
    std::uint32_t lo = 0;
    std::uint32_t hi = 0;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    if constexpr (std::endian::native == std::endian::big) {
      lo = __builtin_bswap32(lo);
      hi = __builtin_bswap32(hi);
    }
    lo ^= crc;
    crc = tables[7][lo & 0xffU] ^ tables[6][(lo >> 8) & 0xffU] ^ tables[5][(lo >> 16) & 0xffU] ^ tables[4][lo >> 24] ^
          tables[3][hi & 0xffU] ^ tables[2][(hi >> 8) & 0xffU] ^ tables[1][(hi >> 16) & 0xffU] ^ tables[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) crc = (crc >> 8) ^ tables[0][(crc ^ *p++) & 0xffU];
  return ~crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t hardware(std::uint32_t crc, const unsigned char* p,
                                                         std::size_t n) noexcept {
  std::uint64_t c = ~crc;
  while (n >= 8) {
    std::uint64_t v = 0;
    std::memcpy(&v, p, 8);
    c = _mm_crc32_u64(c, v);
    p += 8;
    n -= 8;
  }
  auto c32 = static_cast<std::uint32_t>(c);
  while (n-- > 0) c32 = _mm_crc32_u8(c32, *p++);
  return ~c32;
}

bool detect() noexcept { return __builtin_cpu_supports("sse4.2") != 0; }
#else
std::uint32_t hardware(std::uint32_t crc, const unsigned char* p, std::size_t n) noexcept {
  return portable(crc, p, n);
}
bool detect() noexcept { return false; }
#endif

const bool has_hardware = detect();

}  // namespace

std::uint32_t extend(std::uint32_t crc, const void* data, std::size_t size) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
  return has_hardware ? hardware(crc, p, size) : portable(crc, p, size);
}

std::uint32_t extend_portable(std::uint32_t crc, const void* data, std::size_t size) noexcept {
  return portable(crc, static_cast<const unsigned char*>(data), size);
}

bool hardware_accelerated() noexcept { return has_hardware; }

}  // namespace sluice::crc32c
