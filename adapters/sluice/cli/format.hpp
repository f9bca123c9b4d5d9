// Short human forms of the figures the CLI prints: durations ("850ms", "3.2s", "5m12s"), ages
// from Unix-ms timestamps, ISO-8601 UTC times, byte sizes, large counts ("1.2M"), percentages,
// and text made safe and short for a terminal (control characters replaced, "…" on truncation).
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::cli {

// "0.12ms", "3.4ms", "850ms", "3.2s", "42s", "5m12s", "45m", "3h05m", "2d04h"; negative as 0;
// NaN and infinities as "-".
[[nodiscard]] std::string format_duration_ms(double ms);
// How long ago `then_unix_ms` was at `now_unix_ms` (a clock running behind reads as "0.00ms").
[[nodiscard]] std::string format_age(std::int64_t now_unix_ms, std::int64_t then_unix_ms);
// "2024-05-01T12:00:00Z"; 0 or less (an unset time) as "-".
[[nodiscard]] std::string format_iso_utc(std::int64_t unix_ms);
// "512B", "1.5KiB", "3.0MiB", "2.0GiB".
[[nodiscard]] std::string format_bytes(std::uint64_t bytes);
// Exact below 100000, then "123k", "1.2M", "45M", "3.4G".
[[nodiscard]] std::string format_count(std::uint64_t n);
// A fraction in [0, 1] as "0%", "0.4%", "12.5%", "100%".
[[nodiscard]] std::string format_percent(double fraction);

// Columns the text takes on a terminal: UTF-8 code points (no wide-character handling).
[[nodiscard]] std::size_t display_width(std::string_view utf8);
// `text` cut to at most `width` columns, ending in "…" when cut; never splits a UTF-8 sequence.
[[nodiscard]] std::string truncate(std::string_view utf8, std::size_t width);
// Control characters (C0, DEL and C1) replaced so that untrusted text (error messages, payloads)
// cannot drive the terminal: tabs and newlines become spaces, or pass with newlines::keep.
enum class newlines { replace, keep };
[[nodiscard]] std::string sanitize(std::string_view text, newlines mode = newlines::replace);

}  // namespace sluice::cli
