// Reference baseline for the ring benchmarks: Dmitry Vyukov's bounded MPMC queue as published
// (cells of {sequence, value}, no per-cell padding), written plainly so that sluice's ring is
// measured against the textbook algorithm rather than against itself.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

namespace sluice_perf {

template <class T>
class vyukov_queue {
 public:
  explicit vyukov_queue(std::size_t capacity) : mask_(capacity - 1), cells_(new cell[capacity]) {
    for (std::size_t i = 0; i < capacity; ++i) cells_[i].sequence.store(i, std::memory_order_relaxed);
  }

  bool try_push(T value) {
    cell* c;
    std::size_t pos = enqueue_pos_.load(std::memory_order_relaxed);
    for (;;) {
      c = &cells_[pos & mask_];
      const std::size_t seq = c->sequence.load(std::memory_order_acquire);
      const auto diff = static_cast<std::ptrdiff_t>(seq) - static_cast<std::ptrdiff_t>(pos);
      if (diff == 0) {
        if (enqueue_pos_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) break;
      } else if (diff < 0) {
        return false;
      } else {
        pos = enqueue_pos_.load(std::memory_order_relaxed);
      }
    }
    c->value = std::move(value);
    c->sequence.store(pos + 1, std::memory_order_release);
    return true;
  }

  bool try_pop(T& out) {
    cell* c;
    std::size_t pos = dequeue_pos_.load(std::memory_order_relaxed);
    for (;;) {
      c = &cells_[pos & mask_];
      const std::size_t seq = c->sequence.load(std::memory_order_acquire);
      const auto diff = static_cast<std::ptrdiff_t>(seq) - static_cast<std::ptrdiff_t>(pos + 1);
      if (diff == 0) {
        if (dequeue_pos_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) break;
      } else if (diff < 0) {
        return false;
      } else {
        pos = dequeue_pos_.load(std::memory_order_relaxed);
      }
    }
    out = std::move(c->value);
    c->sequence.store(pos + mask_ + 1, std::memory_order_release);
    return true;
  }

 private:
  struct cell {
    std::atomic<std::size_t> sequence;
    T value;
  };
  alignas(64) const std::size_t mask_;
  const std::unique_ptr<cell[]> cells_;
  alignas(64) std::atomic<std::size_t> enqueue_pos_{0};
  alignas(64) std::atomic<std::size_t> dequeue_pos_{0};
};

}  // namespace sluice_perf
