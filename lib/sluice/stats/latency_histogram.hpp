// A log-linear (HDR-style) histogram of durations in nanoseconds: each power of two is split
// into 32 linear buckets, so any recorded value is reported within ~3% (values below 64 ns
// exactly). Recording is one relaxed atomic increment: cheap enough for every message.
// Thread-safety: record() and the readers may run concurrently from any thread; a snapshot taken
// while others record is a consistent-enough view (each bucket is read atomically).
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstdint>
#include <vector>

namespace sluice {

class latency_histogram {
 public:
  static constexpr unsigned sub_bucket_bits = 5;
  static constexpr std::uint64_t sub_buckets = 1ULL << sub_bucket_bits;
  static constexpr std::size_t bucket_count = (64 - sub_bucket_bits + 1) * sub_buckets;

  void record(std::chrono::nanoseconds d) noexcept {
    const auto v = d.count() < 0 ? 0ULL : static_cast<std::uint64_t>(d.count());
    counts_[index_of(v)].fetch_add(1, std::memory_order_relaxed);
  }

  // For a histogram with exactly one writer thread at a time (a worker's own): a plain relaxed
  // load and store instead of a locked increment. Readers on other threads stay safe.
  void record_single_writer(std::chrono::nanoseconds d) noexcept {
    const auto v = d.count() < 0 ? 0ULL : static_cast<std::uint64_t>(d.count());
    auto& c = counts_[index_of(v)];
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  // Adds other's counts into this one (merging per-worker histograms for a report).
  void add(const latency_histogram& other) noexcept {
    for (std::size_t i = 0; i < bucket_count; ++i) {
      if (const auto n = other.counts_[i].load(std::memory_order_relaxed))
        counts_[i].fetch_add(n, std::memory_order_relaxed);
    }
  }

  // Zeroes all buckets.
  void reset() noexcept;
  // Removes other's counts from this one, bucket by bucket, never below zero: "since the
  // baseline" views (the operators' "metrics --reset") without racing the writers.
  void subtract(const latency_histogram& other) noexcept;

  struct summary {
    std::uint64_t count = 0;
    std::chrono::nanoseconds p50{0}, p95{0}, p99{0}, max{0};
    double mean_ns = 0;
  };
  [[nodiscard]] summary summarize() const noexcept;

  // Value at quantile q in [0, 1]: the upper edge of the bucket holding that rank.
  [[nodiscard]] std::chrono::nanoseconds quantile(double q) const noexcept;
  [[nodiscard]] std::uint64_t count() const noexcept;

  // Bucket boundaries, for exporters that need cumulative buckets.
  [[nodiscard]] static std::uint64_t lower_bound_of(std::size_t index) noexcept;
  [[nodiscard]] static std::uint64_t upper_bound_of(std::size_t index) noexcept;
  [[nodiscard]] std::uint64_t count_at(std::size_t index) const noexcept {
    return counts_[index].load(std::memory_order_relaxed);
  }

  [[nodiscard]] static constexpr std::size_t index_of(std::uint64_t v) noexcept {
    const unsigned msb = 63U - static_cast<unsigned>(std::countl_zero(v | 1U));
    if (msb <= sub_bucket_bits) return static_cast<std::size_t>(v);  // exact below 2^(bits+1)
    const unsigned shift = msb - sub_bucket_bits;
    return static_cast<std::size_t>(((shift + 1ULL) << sub_bucket_bits) + ((v >> shift) - sub_buckets));
  }

 private:
  std::array<std::atomic<std::uint64_t>, bucket_count> counts_{};
};

static_assert(latency_histogram::index_of(0) == 0);
static_assert(latency_histogram::index_of(63) == 63);
static_assert(latency_histogram::index_of(~0ULL) == latency_histogram::bucket_count - 1);

}  // namespace sluice
