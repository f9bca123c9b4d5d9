// Message identifiers (see message_id.hpp).
#include "sluice/message/message_id.hpp"

#include <array>

namespace sluice {
namespace {

constexpr std::string_view alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int decode_char(char c) noexcept {
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  const auto pos = alphabet.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

}  // namespace

std::array<char, 26> message_id::to_chars() const noexcept {
  // 128 bits as 26 base32 digits: the first digit carries the top 3 bits (2 leading zero bits).
  std::array<char, 26> out{};
  std::uint64_t h = hi;
  std::uint64_t l = lo;
  for (int i = 25; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = alphabet[l & 31U];
    l = (l >> 5) | (h << 59);
    h >>= 5;
  }
  return out;
}

std::string message_id::to_string() const {
  const auto chars = to_chars();
  return {chars.data(), chars.size()};
}

std::optional<message_id> message_id::parse(std::string_view text) noexcept {
  if (text.size() != 26) return std::nullopt;
  const int first = decode_char(text[0]);
  if (first < 0 || first > 7) return std::nullopt;  // would overflow 128 bits
  message_id id;
  for (char c : text) {
    const int v = decode_char(c);
    if (v < 0) return std::nullopt;
    id.hi = (id.hi << 5) | (id.lo >> 59);
    id.lo = (id.lo << 5) | static_cast<std::uint64_t>(v);
  }
  return id;
}

namespace {
std::atomic<std::uint64_t> generators{0};
}  // namespace

id_generator::id_generator(std::uint16_t instance, std::uint64_t sequence_start) noexcept
    : serial_(generators.fetch_add(1, std::memory_order_relaxed) + 1), instance_(instance), sequence_(sequence_start) {}

message_id id_generator::next(std::chrono::milliseconds unix_ms) noexcept {
  auto ms = static_cast<std::uint64_t>(unix_ms.count()) & 0xFFFF'FFFF'FFFFULL;
  std::uint64_t last = last_ms_.load(std::memory_order_relaxed);
  while (ms > last && !last_ms_.compare_exchange_weak(last, ms, std::memory_order_relaxed)) {
  }
  if (ms < last) ms = last;
  // Each thread takes the sequence in blocks: one shared increment per block instead of one per
  // id (a counter that several cores increment moves between their caches on every id). The
  // block's values increase, and every block is above the ones handed out before it, so one
  // thread's ids still strictly increase; the millisecond prefix only ever grows.
  struct block {
    std::uint64_t owner = 0;  // the generator's serial (an address could be reused)
    std::uint64_t next = 0;
    std::uint64_t end = 0;
  };
  thread_local block mine;
  if (mine.owner != serial_ || mine.next == mine.end) {
    mine.owner = serial_;
    mine.next = sequence_.fetch_add(sequence_block, std::memory_order_relaxed) + 1;
    mine.end = mine.next + sequence_block;
  }
  return message_id{(ms << 16) | instance_, mine.next++};
}

}  // namespace sluice
