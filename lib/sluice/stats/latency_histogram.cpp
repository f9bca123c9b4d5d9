// Log-linear latency histogram (see latency_histogram.hpp).
#include "sluice/stats/latency_histogram.hpp"

#include <cmath>

namespace sluice {

std::uint64_t latency_histogram::lower_bound_of(std::size_t index) noexcept {
  if (index < 2 * sub_buckets) return index;
  const std::uint64_t shift = (index >> sub_bucket_bits) - 1;
  const std::uint64_t sub = index & (sub_buckets - 1);
  return (sub_buckets + sub) << shift;
}

std::uint64_t latency_histogram::upper_bound_of(std::size_t index) noexcept {
  if (index + 1 >= bucket_count) return ~0ULL;
  return lower_bound_of(index + 1) - 1;
}

void latency_histogram::reset() noexcept {
  for (auto& c : counts_) c.store(0, std::memory_order_relaxed);
}

void latency_histogram::subtract(const latency_histogram& other) noexcept {
  for (std::size_t i = 0; i < bucket_count; ++i) {
    const auto mine = counts_[i].load(std::memory_order_relaxed);
    const auto theirs = other.counts_[i].load(std::memory_order_relaxed);
    counts_[i].store(mine > theirs ? mine - theirs : 0, std::memory_order_relaxed);
  }
}

std::uint64_t latency_histogram::count() const noexcept {
  std::uint64_t n = 0;
  for (const auto& c : counts_) n += c.load(std::memory_order_relaxed);
  return n;
}

namespace {

using snapshot_t = std::array<std::uint64_t, latency_histogram::bucket_count>;

std::uint64_t take_snapshot(const latency_histogram& h, snapshot_t& snap) noexcept {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < snap.size(); ++i) total += snap[i] = h.count_at(i);
  return total;
}

std::chrono::nanoseconds quantile_of(const snapshot_t& snap, std::uint64_t total, double q) noexcept {
  if (total == 0) return std::chrono::nanoseconds{0};
  q = q < 0 ? 0 : (q > 1 ? 1 : q);
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total)));
  if (rank == 0) rank = 1;
  std::uint64_t seen = 0;
  std::size_t i = 0;
  for (; i < snap.size(); ++i) {
    seen += snap[i];
    if (seen >= rank) break;
  }
  if (i == snap.size()) i = snap.size() - 1;
  return std::chrono::nanoseconds(static_cast<std::int64_t>(latency_histogram::upper_bound_of(i)));
}

}  // namespace

std::chrono::nanoseconds latency_histogram::quantile(double q) const noexcept {
  snapshot_t snap{};
  const auto total = take_snapshot(*this, snap);
  return quantile_of(snap, total, q);
}

latency_histogram::summary latency_histogram::summarize() const noexcept {
  summary s;
  snapshot_t snap{};
  s.count = take_snapshot(*this, snap);
  if (s.count == 0) return s;
  long double sum = 0;
  for (std::size_t i = 0; i < snap.size(); ++i) {
    // Midpoint of the bucket: the mean is as precise as the buckets.
    const auto lo = static_cast<long double>(lower_bound_of(i));
    const auto hi = static_cast<long double>(upper_bound_of(i));
    sum += static_cast<long double>(snap[i]) * (lo + (hi - lo) / 2);
  }
  s.mean_ns = static_cast<double>(sum / static_cast<long double>(s.count));
  s.p50 = quantile_of(snap, s.count, 0.50);
  s.p95 = quantile_of(snap, s.count, 0.95);
  s.p99 = quantile_of(snap, s.count, 0.99);
  s.max = quantile_of(snap, s.count, 1.0);
  return s;
}

}  // namespace sluice
