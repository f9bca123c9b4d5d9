// A one-line progress bar for long operations (batched dead-letter replay), redrawn in place
// with '\r' on the error stream of a terminal: "replaying [#########...........] 340/1000 34%".
// Switched off it draws nothing, so pipes and logs get only the final report.
// Thread-safety: one thread; the stream must outlive the bar.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>

namespace sluice::cli {

enum class progress_display { off, on };

// "[#####.....] 50/100 50%" with `bar_width` cells between the brackets; `done` past `total`
// reads as complete, and so does a total of 0.
[[nodiscard]] std::string render_progress(std::uint64_t done, std::uint64_t total, std::size_t bar_width);

class progress_bar {
 public:
  progress_bar(std::ostream& out, std::string label, std::uint64_t total, progress_display display);
  ~progress_bar();
  progress_bar(const progress_bar&) = delete;
  progress_bar& operator=(const progress_bar&) = delete;

  void update(std::uint64_t done);
  // A better estimate of the total, shown from the next update on.
  void set_total(std::uint64_t total) noexcept { total_ = total; }
  // Ends the line if one was drawn; later updates draw nothing.
  void finish();

 private:
  std::ostream& out_;
  std::string label_;
  std::uint64_t total_;
  bool active_;
  bool drawn_ = false;
};

}  // namespace sluice::cli
