// Message identifiers: 128 bits, unique, and sortable by creation time.
// Layout (most significant first): 48-bit Unix milliseconds, 16-bit generator instance, 64-bit
// sequence. Ids are unique per generator (the sequence never repeats) and strictly increasing
// across calls that one thread makes (threads take the sequence in blocks, so ids that different
// threads make in the same millisecond interleave); ids from different generators sort by
// millisecond first. Text form: 26 characters
// of Crockford base32 (like ULID), so the text sorts the same way as the numbers. Thread-safety: message_id is a value;
// id_generator::next() is safe from any thread.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

struct message_id {
  std::uint64_t hi = 0;  // [48-bit unix ms][16-bit instance]
  std::uint64_t lo = 0;  // sequence

  [[nodiscard]] constexpr bool empty() const noexcept { return hi == 0 && lo == 0; }
  [[nodiscard]] std::chrono::milliseconds unix_time() const noexcept {
    return std::chrono::milliseconds(static_cast<std::int64_t>(hi >> 16));
  }
  [[nodiscard]] std::string to_string() const;
  // The same 26 characters without an allocation.
  [[nodiscard]] std::array<char, 26> to_chars() const noexcept;
  // Parses the 26-character text form (case-insensitive); nullopt for anything else.
  [[nodiscard]] static std::optional<message_id> parse(std::string_view text) noexcept;

  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads the defaulted <=> (a known bug)
  friend constexpr auto operator<=>(const message_id&, const message_id&) = default;
};

struct message_id_hash {
  [[nodiscard]] std::size_t operator()(const message_id& id) const noexcept {
    return static_cast<std::size_t>(id.lo * 0x9E3779B97F4A7C15ULL ^ id.hi);
  }
};

class id_generator {
 public:
  // instance distinguishes generators that may run in the same millisecond (processes,
  // restarts); seed it randomly. sequence_start lets a restarted engine continue above the
  // largest id it recovered.
  explicit id_generator(std::uint16_t instance, std::uint64_t sequence_start = 0) noexcept;

  // unix_ms is the caller's clock reading; a clock that steps back never makes ids decrease.
  [[nodiscard]] message_id next(std::chrono::milliseconds unix_ms) noexcept;

 private:
  static constexpr std::uint64_t sequence_block = 256;
  const std::uint64_t serial_;  // unique per generator in this process: names its threads' blocks
  const std::uint16_t instance_;
  std::atomic<std::uint64_t> sequence_;
  std::atomic<std::uint64_t> last_ms_{0};
};

}  // namespace sluice
