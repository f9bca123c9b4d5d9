// Bounded multi-producer multi-consumer ring buffer in the style of Dmitry Vyukov's queue:
// each slot carries a sequence number ("turn") that says whose move it is, so producers and
// consumers claim positions with one CAS and never wait for each other.
//
// Thread-safety: every member function may be called concurrently from any thread.
// Progress: try_* never block and never wait for another thread; a full ring makes try_push
// return false, an empty one (or one whose next slot is claimed but not yet published by a
// preempted producer) makes try_pop return false. Callers that must wait use an awaited signal.
// Order: FIFO with respect to the order in which positions were claimed.
#pragma once

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace sluice {

// x86-64 and most AArch64 parts use 64-byte lines; adjacent-line prefetch makes 128 safer for the
// two hot indices, which are few.
inline constexpr std::size_t cache_line_bytes = 64;

template <class T>
class mpmc_ring {
  static_assert(std::is_nothrow_move_constructible_v<T>, "ring elements must move without throwing");
  static_assert(std::is_nothrow_destructible_v<T>);

 public:
  // capacity must be a power of two and at least 2; anything else is a configuration error.
  explicit mpmc_ring(std::size_t capacity) : mask_(capacity - 1), slots_(allocate(capacity)) {
    if (capacity < 2 || (capacity & (capacity - 1)) != 0) {
      throw std::invalid_argument("mpmc_ring capacity must be a power of two >= 2");
    }
    for (std::size_t i = 0; i < capacity; ++i) {
      slots_[i].turn.store(i, std::memory_order_relaxed);
    }
  }

  mpmc_ring(const mpmc_ring&) = delete;
  mpmc_ring& operator=(const mpmc_ring&) = delete;

  // Precondition: no operation is in progress (every claimed position is published).
  ~mpmc_ring() {
    if (!slots_) return;
    const std::size_t head = head_.load(std::memory_order_acquire);
    for (std::size_t pos = tail_.load(std::memory_order_acquire); pos != head; ++pos) {
      slots_[pos & mask_].destroy();
    }
  }

  [[nodiscard]] std::size_t capacity() const noexcept { return mask_ + 1; }

  // Positions claimed by producers since construction (every push ever started).
  [[nodiscard]] std::size_t pushes() const noexcept { return head_.load(std::memory_order_relaxed); }

  // Approximate number of elements: exact when no operation is in progress.
  [[nodiscard]] std::size_t size_approx() const noexcept {
    const auto tail = tail_.load(std::memory_order_relaxed);
    const auto head = head_.load(std::memory_order_relaxed);
    return head > tail ? head - tail : 0;
  }

  template <class... Args>
  [[nodiscard]] bool try_emplace(Args&&... args) noexcept(std::is_nothrow_constructible_v<T, Args...>) {
    std::size_t pos = head_.load(std::memory_order_relaxed);
    for (;;) {
      slot& s = slots_[pos & mask_];
      const std::size_t turn = s.turn.load(std::memory_order_acquire);
      const auto diff = static_cast<std::ptrdiff_t>(turn - pos);
      if (diff == 0) {
        if (head_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          s.construct(std::forward<Args>(args)...);
          s.turn.store(pos + 1, std::memory_order_release);
          return true;
        }
      } else if (diff < 0) {
        return false;  // the slot still holds the element from the previous lap: full
      } else {
        pos = head_.load(std::memory_order_relaxed);
      }
    }
  }

  [[nodiscard]] bool try_push(T&& value) noexcept { return try_emplace(std::move(value)); }

  [[nodiscard]] bool try_pop(T& out) noexcept {
    std::size_t pos = tail_.load(std::memory_order_relaxed);
    for (;;) {
      slot& s = slots_[pos & mask_];
      const std::size_t turn = s.turn.load(std::memory_order_acquire);
      const auto diff = static_cast<std::ptrdiff_t>(turn - (pos + 1));
      if (diff == 0) {
        if (tail_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
          out = s.take();
          s.turn.store(pos + mask_ + 1, std::memory_order_release);
          return true;
        }
      } else if (diff < 0) {
        return false;  // not yet published in this lap: empty (or a producer is mid-push)
      } else {
        pos = tail_.load(std::memory_order_relaxed);
      }
    }
  }

  // Moves up to n elements from first[0..n) into the ring with a single claim; returns how many
  // were pushed (a prefix of the input). Elements not pushed are left untouched.
  [[nodiscard]] std::size_t try_push_batch(T* first, std::size_t n) noexcept {
    std::size_t pos = head_.load(std::memory_order_relaxed);
    for (;;) {
      std::size_t k = 0;
      while (k < n && k <= mask_ && slots_[(pos + k) & mask_].turn.load(std::memory_order_acquire) == pos + k) {
        ++k;
      }
      if (k == 0) {
        const std::size_t turn = slots_[pos & mask_].turn.load(std::memory_order_acquire);
        if (static_cast<std::ptrdiff_t>(turn - pos) < 0) return 0;
        pos = head_.load(std::memory_order_relaxed);
        continue;
      }
      if (head_.compare_exchange_weak(pos, pos + k, std::memory_order_relaxed)) {
        for (std::size_t i = 0; i < k; ++i) {
          slot& s = slots_[(pos + i) & mask_];
          s.construct(std::move(first[i]));
          s.turn.store(pos + i + 1, std::memory_order_release);
        }
        return k;
      }
    }
  }

  // Pops up to n elements into out[0..n) with a single claim; returns how many.
  [[nodiscard]] std::size_t try_pop_batch(T* out, std::size_t n) noexcept {
    std::size_t pos = tail_.load(std::memory_order_relaxed);
    for (;;) {
      std::size_t k = 0;
      while (k < n && k <= mask_ && slots_[(pos + k) & mask_].turn.load(std::memory_order_acquire) == pos + k + 1) {
        ++k;
      }
      if (k == 0) {
        const std::size_t turn = slots_[pos & mask_].turn.load(std::memory_order_acquire);
        if (static_cast<std::ptrdiff_t>(turn - (pos + 1)) < 0) return 0;
        pos = tail_.load(std::memory_order_relaxed);
        continue;
      }
      if (tail_.compare_exchange_weak(pos, pos + k, std::memory_order_relaxed)) {
        for (std::size_t i = 0; i < k; ++i) {
          slot& s = slots_[(pos + i) & mask_];
          out[i] = s.take();
          s.turn.store(pos + i + mask_ + 1, std::memory_order_release);
        }
        return k;
      }
    }
  }

 private:
  struct alignas(cache_line_bytes) slot {
    std::atomic<std::size_t> turn{0};
    alignas(T) unsigned char storage[sizeof(T)];  // NOLINT(bugprone-sizeof-expression): T may be a pointer

    template <class... Args>
    void construct(Args&&... args) {
      ::new (static_cast<void*>(storage)) T(std::forward<Args>(args)...);
    }
    void destroy() noexcept { std::launder(reinterpret_cast<T*>(storage))->~T(); }
    T take() noexcept {
      T* p = std::launder(reinterpret_cast<T*>(storage));
      T value(std::move(*p));
      p->~T();
      return value;
    }
  };
  static_assert(sizeof(slot) % cache_line_bytes == 0, "a slot must fill whole cache lines");
  static_assert(alignof(slot) == cache_line_bytes);

  struct slot_array_deleter {
    void operator()(slot* p) const noexcept { ::operator delete[](p, std::align_val_t{alignof(slot)}); }
  };

  static std::unique_ptr<slot[], slot_array_deleter> allocate(std::size_t capacity) {
    if (capacity < 2 || (capacity & (capacity - 1)) != 0) return {};
    void* raw = ::operator new[](capacity * sizeof(slot), std::align_val_t{alignof(slot)});
    auto* slots = static_cast<slot*>(raw);
    for (std::size_t i = 0; i < capacity; ++i) ::new (static_cast<void*>(slots + i)) slot{};
    return std::unique_ptr<slot[], slot_array_deleter>(slots);
  }

  // Producers and consumers each own one line; the mask and slot pointer are read-only.
  alignas(cache_line_bytes) std::atomic<std::size_t> head_{0};
  alignas(cache_line_bytes) std::atomic<std::size_t> tail_{0};
  alignas(cache_line_bytes) const std::size_t mask_;
  std::unique_ptr<slot[], slot_array_deleter> slots_;
};

}  // namespace sluice
