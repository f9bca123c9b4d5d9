// Terminal progress bars (see progress_bar.hpp).
#include "sluice/cli/progress_bar.hpp"

#include <algorithm>
#include <utility>

namespace sluice::cli {

std::string render_progress(std::uint64_t done, std::uint64_t total, std::size_t bar_width) {
  const std::uint64_t shown = std::min(done, total);
  const double fraction = total == 0 ? 1.0 : static_cast<double>(shown) / static_cast<double>(total);
  const auto filled = std::min(bar_width, static_cast<std::size_t>(fraction * static_cast<double>(bar_width)));
  const auto percent = static_cast<unsigned>(fraction * 100);
  return "[" + std::string(filled, '#') + std::string(bar_width - filled, '.') + "] " + std::to_string(shown) + "/" +
         std::to_string(total) + " " + std::to_string(percent) + "%";
}

progress_bar::progress_bar(std::ostream& out, std::string label, std::uint64_t total, progress_display display)
    : out_(out), label_(std::move(label)), total_(total), active_(display == progress_display::on) {}

progress_bar::~progress_bar() { finish(); }

void progress_bar::update(std::uint64_t done) {
  if (!active_) return;
  constexpr std::size_t bar_width = 30;
  // "\x1b[K" clears what a longer previous line left behind.
  out_ << '\r' << label_ << ' ' << render_progress(done, total_, bar_width) << "\x1b[K" << std::flush;
  drawn_ = true;
}

void progress_bar::finish() {
  if (active_ && drawn_) out_ << '\n' << std::flush;
  active_ = false;
}

}  // namespace sluice::cli
