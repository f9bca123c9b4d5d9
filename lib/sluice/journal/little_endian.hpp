// Fixed-width little-endian integers, the byte order of every journal field (docs/journal-format.md).
// Readers take a pointer to at least 4 or 8 readable bytes: callers check the bounds first.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

namespace sluice::journal::le {

inline void store32(char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xffU);
}

inline void store64(char* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xffU);
}

// One append per integer (a push_back per byte checked the capacity eight times).
inline void put32(std::string& out, std::uint32_t v) {
  char b[4];
  store32(b, v);
  out.append(b, sizeof b);
}

inline void put64(std::string& out, std::uint64_t v) {
  char b[8];
  store64(b, v);
  out.append(b, sizeof b);
}

inline std::uint32_t get32(const std::uint8_t* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

inline std::uint64_t get64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

inline std::uint64_t get64(const char* p) { return get64(reinterpret_cast<const std::uint8_t*>(p)); }

}  // namespace sluice::journal::le
