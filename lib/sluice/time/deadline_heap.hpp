// A min-heap of (deadline, value): the one timer structure behind scheduled delivery, retry
// backoff and snoozes. One alarm waits for the earliest deadline, however many entries there are:
// a million scheduled messages are a million heap entries (24 bytes each for a pointer value),
// not a million Asio timers.
// Entries with equal deadlines come out in insertion order (a sequence number breaks ties), so
// messages scheduled for the same moment keep their enqueue order. 4-ary: shallower than binary,
// and a node's children share a cache line.
// Removal of arbitrary entries is left to the caller (mark the value dead, skip it when popped).
// Thread-safety: none; the owner serialises access.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace sluice {

template <class Time, class T>
class deadline_heap {
 public:
  struct entry {
    Time deadline;
    std::uint64_t sequence;
    T value;
  };

  [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
  // Precondition: !empty().
  [[nodiscard]] const Time& earliest() const noexcept { return entries_.front().deadline; }
  [[nodiscard]] const entry& top() const noexcept { return entries_.front(); }

  void push(Time deadline, T value) {
    entries_.push_back(entry{deadline, next_sequence_++, std::move(value)});
    sift_up(entries_.size() - 1);
  }

  // Removes and returns the earliest entry. Precondition: !empty().
  T pop() {
    T out = std::move(entries_.front().value);
    if (entries_.size() > 1) entries_.front() = std::move(entries_.back());
    entries_.pop_back();
    if (!entries_.empty()) sift_down(0);
    return out;
  }

  // Visits every entry in unspecified order (admin listings).
  template <class F>
  void for_each(F&& f) const {
    for (const auto& e : entries_) f(e);
  }

  // Removes every entry for which pred(value) holds; O(n). Returns how many.
  template <class Pred>
  std::size_t erase_if(Pred&& pred) {
    std::size_t kept = 0;
    for (auto& e : entries_) {
      if (!pred(e.value)) entries_[kept++] = std::move(e);
    }
    const std::size_t removed = entries_.size() - kept;
    entries_.resize(kept);
    for (std::size_t i = entries_.size() / arity + 1; i-- > 0;) {
      if (i < entries_.size()) sift_down(i);
    }
    return removed;
  }

 private:
  static constexpr std::size_t arity = 4;

  [[nodiscard]] bool before(const entry& a, const entry& b) const noexcept {
    return a.deadline < b.deadline || (!(b.deadline < a.deadline) && a.sequence < b.sequence);
  }

  void sift_up(std::size_t i) {
    entry moving = std::move(entries_[i]);
    while (i > 0) {
      const std::size_t parent = (i - 1) / arity;
      if (!before(moving, entries_[parent])) break;
      entries_[i] = std::move(entries_[parent]);
      i = parent;
    }
    entries_[i] = std::move(moving);
  }

  void sift_down(std::size_t i) {
    const std::size_t n = entries_.size();
    entry moving = std::move(entries_[i]);
    for (;;) {
      const std::size_t first = i * arity + 1;
      if (first >= n) break;
      std::size_t best = first;
      const std::size_t last = first + arity < n ? first + arity : n;
      for (std::size_t c = first + 1; c < last; ++c) {
        if (before(entries_[c], entries_[best])) best = c;
      }
      if (!before(entries_[best], moving)) break;
      entries_[i] = std::move(entries_[best]);
      i = best;
    }
    entries_[i] = std::move(moving);
  }

  std::vector<entry> entries_;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace sluice
