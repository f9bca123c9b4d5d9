// Ring buffer throughput: sluice::mpmc_ring against the textbook Vyukov queue (perf/reference)
// and boost::lockfree::queue, 1 producer/1 consumer and 2 producers/2 consumers, 8-byte items.
// Even-numbered benchmark threads produce, odd ones consume; each thread moves one item per
// iteration, so pushes and pops balance and the run always terminates.
#include "reference/vyukov_queue.hpp"
#include "sluice/ring/mpmc_ring.hpp"

#include <benchmark/benchmark.h>
#include <boost/lockfree/queue.hpp>

#include <cstdint>
#include <memory>
#include <thread>

namespace {

constexpr std::size_t capacity = 1024;

struct sluice_ring {
  sluice::mpmc_ring<std::uint64_t> q{capacity};
  bool push(std::uint64_t v) { return q.try_push(std::move(v)); }
  bool pop(std::uint64_t& v) { return q.try_pop(v); }
};
struct vyukov_ring {
  sluice_perf::vyukov_queue<std::uint64_t> q{capacity};
  bool push(std::uint64_t v) { return q.try_push(v); }
  bool pop(std::uint64_t& v) { return q.try_pop(v); }
};
struct lockfree_queue {
  boost::lockfree::queue<std::uint64_t> q{capacity};
  bool push(std::uint64_t v) { return q.bounded_push(v); }
  bool pop(std::uint64_t& v) { return q.pop(v); }
};

template <class Q>
Q* shared_queue = nullptr;

template <class Q>
void bm_ring(benchmark::State& state) {
  if (state.thread_index() == 0) shared_queue<Q> = new Q();
  // Google Benchmark starts the timed loop only after every thread reaches it.
  Q* q = nullptr;
  const bool producer = state.thread_index() % 2 == 0;
  std::uint64_t value = 0;
  std::uint64_t sum = 0;
  for (auto _ : state) {
    if (!q) q = shared_queue<Q>;
    if (producer) {
      while (!q->push(value)) std::this_thread::yield();  // on 2 cores a spinning thread starves its peer
      ++value;
    } else {
      std::uint64_t out;
      while (!q->pop(out)) std::this_thread::yield();
      sum += out;
    }
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    delete shared_queue<Q>;
    shared_queue<Q> = nullptr;
  }
}

}  // namespace

BENCHMARK_TEMPLATE(bm_ring, sluice_ring)->Name("ring/sluice")->Threads(2)->Threads(4)->UseRealTime();
BENCHMARK_TEMPLATE(bm_ring, vyukov_ring)->Name("ring/vyukov_reference")->Threads(2)->Threads(4)->UseRealTime();
BENCHMARK_TEMPLATE(bm_ring, lockfree_queue)->Name("ring/boost_lockfree")->Threads(2)->Threads(4)->UseRealTime();
