// Human forms of figures (see format.hpp).
#include "sluice/cli/format.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <iterator>
#include <locale>
#include <sstream>

namespace sluice::cli {

namespace {

constexpr std::string_view ellipsis = "\xE2\x80\xA6";  // U+2026, one column

std::string fixed(double value, int decimals) {
  std::ostringstream out;
  out.imbue(std::locale::classic());
  out << std::fixed << std::setprecision(decimals) << value;
  return out.str();
}

std::string two_digits(std::uint64_t value) { return (value < 10 ? "0" : "") + std::to_string(value); }

bool continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Whole seconds as "5m12s", "45m", "3h05m" or "2d04h" (at least a minute).
std::string format_long_duration(std::uint64_t total_s) {
  const std::uint64_t m = total_s / 60;
  if (m < 10) return std::to_string(m) + "m" + two_digits(total_s % 60) + "s";
  if (m < 60) return std::to_string(m) + "m";
  const std::uint64_t h = m / 60;
  if (h < 24) return std::to_string(h) + "h" + two_digits(m % 60) + "m";
  return std::to_string(h / 24) + "d" + two_digits(h % 24) + "h";
}

}  // namespace

std::string format_duration_ms(double ms) {
  if (!std::isfinite(ms)) return "-";
  if (ms < 0) ms = 0;
  // Each threshold sits where rounding would carry into the next form ("9.96" -> "10ms", not "10.0ms").
  if (ms < 0.995) return fixed(ms, 2) + "ms";
  if (ms < 9.95) return fixed(ms, 1) + "ms";
  if (ms < 999.5) return fixed(ms, 0) + "ms";
  const double s = ms / 1000;
  if (s < 9.95) return fixed(s, 1) + "s";
  if (s < 59.5) return fixed(s, 0) + "s";
  constexpr double ten_thousand_years_s = 3.2e11;  // keeps the conversion below defined
  return format_long_duration(static_cast<std::uint64_t>(std::llround(std::min(s, ten_thousand_years_s))));
}

std::string format_age(std::int64_t now_unix_ms, std::int64_t then_unix_ms) {
  if (then_unix_ms <= 0) return "-";
  return format_duration_ms(static_cast<double>(now_unix_ms - then_unix_ms));
}

std::string format_iso_utc(std::int64_t unix_ms) {
  if (unix_ms <= 0) return "-";
  namespace chrono = std::chrono;
  const chrono::sys_time<chrono::milliseconds> t{chrono::milliseconds{unix_ms}};
  const auto day = chrono::floor<chrono::days>(t);
  const chrono::year_month_day date{day};
  const chrono::hh_mm_ss<chrono::milliseconds> time{t - day};
  std::ostringstream out;
  out.imbue(std::locale::classic());
  out << std::setfill('0') << std::setw(4) << static_cast<int>(date.year()) << '-' << std::setw(2)
      << static_cast<unsigned>(date.month()) << '-' << std::setw(2) << static_cast<unsigned>(date.day()) << 'T'
      << std::setw(2) << time.hours().count() << ':' << std::setw(2) << time.minutes().count() << ':' << std::setw(2)
      << time.seconds().count() << 'Z';
  return out.str();
}

std::string format_bytes(std::uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + "B";
  static constexpr const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = static_cast<double>(bytes) / 1024;
  std::size_t unit = 0;
  while (value >= 1023.5 && unit + 1 < std::size(units)) {
    value /= 1024;
    ++unit;
  }
  return fixed(value, value < 9.95 ? 1 : 0) + units[unit];
}

std::string format_count(std::uint64_t n) {
  if (n < 100'000) return std::to_string(n);
  struct unit {
    double scale;
    const char* suffix;
  };
  static constexpr unit units[] = {{1e3, "k"}, {1e6, "M"}, {1e9, "G"}, {1e12, "T"}, {1e15, "P"}, {1e18, "E"}};
  const auto value = static_cast<double>(n);
  for (std::size_t i = 0; i < std::size(units); ++i) {
    const double x = value / units[i].scale;
    if (x < 9.95) return fixed(x, 1) + units[i].suffix;
    if (x < 999.5 || i + 1 == std::size(units)) return fixed(x, 0) + units[i].suffix;
  }
  return std::to_string(n);  // unreachable: the last unit always answers
}

std::string format_percent(double fraction) {
  if (!std::isfinite(fraction)) return "-";
  const double percent = fraction * 100;
  if (percent <= 0) return "0%";
  if (percent < 0.05) return "<0.1%";
  if (percent >= 99.95) return "100%";
  return fixed(percent, 1) + "%";
}

std::size_t display_width(std::string_view utf8) {
  std::size_t width = 0;
  for (const char c : utf8) {
    if (!continuation_byte(c)) ++width;
  }
  return width;
}

std::string truncate(std::string_view utf8, std::size_t width) {
  if (display_width(utf8) <= width) return std::string(utf8);
  if (width == 0) return {};
  // Keep width - 1 code points and end with the ellipsis.
  std::size_t kept = 0;
  std::size_t end = utf8.size();
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    if (continuation_byte(utf8[i])) continue;
    if (kept == width - 1) {
      end = i;
      break;
    }
    ++kept;
  }
  return std::string(utf8.substr(0, end)) + std::string(ellipsis);
}

std::string sanitize(std::string_view text, newlines mode) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const auto byte = static_cast<unsigned char>(c);
    const bool kept = (c == '\n' || c == '\t') && mode == newlines::keep;
    if (!kept && (c == '\n' || c == '\t' || c == '\r')) {
      out.push_back(' ');
    } else if (!kept && (byte < 0x20 || byte == 0x7f)) {
      out.push_back('?');
    } else if (byte == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
      out.push_back('?');  // a C1 control character (U+0080..U+009F), CSI among them
      ++i;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace sluice::cli
