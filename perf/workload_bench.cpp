// The four workloads an application meets, through the public API with the defaults on
// (snapshots, the message index, handler timeouts and leases), each beside the baseline a team
// would otherwise use, measured in the same run. 256-byte payloads throughout.
//   w1_seq: one producer; the next enqueue starts when the previous one completed durable.
//           Baselines: SQLite WAL (synchronous=FULL), one row per transaction; one raw append +
//           fdatasync; one raw overwrite of a preallocated block + fdatasync.
//   w1_win: up to 256 enqueues outstanding (256 producer coroutines), 100,000 messages.
//           Baseline: SQLite WAL (synchronous=FULL), 256 rows per transaction.
//   w2:     100,000 messages enqueued durably first (not timed); then 4 or 16 workers consume
//           them, timed until every acknowledgement is durable (engine::async_flush).
//           Baseline: a SQLite jobs table (synchronous=FULL) prefilled with the same rows; each
//           transaction takes the 4 or 16 oldest jobs and deletes them.
//   w3:     in memory; 256 async_enqueue completions outstanding, one worker per io thread
//           consuming, 1 and 2 io threads. Baseline: a raw concurrent_channel doing the same
//           hand-off (256 producers awaiting async_send, one consumer coroutine per thread
//           awaiting a handler coroutine per message).
// Variants named *_knobs_off turn snapshots, the message index, timeouts and leases off: they
// show what the defaults cost, they are not the figure. Files go to build/<preset>/perf-data (the
// repository's disk, never tmpfs). Not part of CI; perf/run prints the table with the targets.
#include "sluice/sluice.hpp"
#include "sluice/stats/latency_histogram.hpp"

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using boost::system::error_code;
using steady = std::chrono::steady_clock;

namespace {

const std::string payload(256, 'p');
constexpr int window = 256;
constexpr int seq_messages = 2'000;
constexpr int win_messages = 100'000;
constexpr int w2_messages = 100'000;
constexpr int w3_messages = 200'000;

std::filesystem::path fresh_dir(const std::string& name) {
  auto dir = std::filesystem::current_path() / "perf-data" / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

enum class knobs : std::uint8_t { defaults, off };

sluice::engine_options options_for(const std::filesystem::path* dir, knobs k) {
  sluice::engine_options o;
  o.log = [](sluice::log_level, std::string_view) {};
  if (dir) o.persistence.data_dir = dir->string();
  if (k == knobs::off) {
    o.persistence.snapshots = false;
    o.track_messages = false;
    o.default_handler.timeout = std::chrono::milliseconds(0);
    o.default_handler.lease_duration = std::chrono::milliseconds(0);
  }
  return o;
}

void report_latency(benchmark::State& state, const sluice::latency_histogram& h) {
  const auto s = h.summarize();
  state.counters["p50_us"] = static_cast<double>(s.p50.count()) / 1000.0;
  state.counters["p99_us"] = static_cast<double>(s.p99.count()) / 1000.0;
}

void run_threads(asio::io_context& ioc, int threads) {
  std::vector<std::thread> extra;
  for (int t = 1; t < threads; ++t) extra.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : extra) t.join();
}

// A queue nobody consumes from (w1), or consumed by `workers` workers.
void declare(sluice::engine& eng, std::size_t capacity, std::size_t workers, std::atomic<int>* handled = nullptr) {
  sluice::queue_options q;
  q.capacity = capacity;
  q.min_workers = workers;
  q.max_workers = std::max<std::size_t>(workers, 16);
  (void)eng.declare_queue("bench", q);
  (void)eng.handle_raw("bench", "bench.msg", [handled](std::string_view p, sluice::context&) -> asio::awaitable<void> {
    benchmark::DoNotOptimize(p.data());
    if (handled) handled->fetch_add(1, std::memory_order_relaxed);
    co_return;
  });
}

// `producers` coroutines, each enqueueing `each` messages one after another.
void spawn_producers(asio::io_context& ioc, sluice::engine& eng, int producers, int each, std::atomic<int>& failures,
                     std::atomic<int>& left, std::function<void()> last_done) {
  for (int p = 0; p < producers; ++p) {
    asio::co_spawn(
        ioc,
        [&eng, each, &failures, &left, last_done]() -> asio::awaitable<void> {
          for (int i = 0; i < each; ++i) {
            const sluice::enqueue_options o;  // a local: g++ 12 mis-destroys temporaries inside co_await
            auto [ec, id] =
                co_await eng.async_enqueue_raw("bench", "bench.msg", payload, o, asio::as_tuple(asio::use_awaitable));
            if (ec) failures.fetch_add(1, std::memory_order_relaxed);
          }
          if (left.fetch_sub(1, std::memory_order_acq_rel) == 1) last_done();
        },
        asio::detached);
  }
}

// --- SQLite baselines -------------------------------------------------------------------------

struct sqlite_queue {
  sqlite3* db = nullptr;
  sqlite3_stmt* insert = nullptr;
  explicit sqlite_queue(const std::filesystem::path& dir) {
    sqlite3_open((dir / "jobs.db").c_str(), &db);
    sqlite3_exec(db,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                 "CREATE TABLE jobs(id INTEGER PRIMARY KEY, body BLOB)",
                 nullptr, nullptr, nullptr);
    sqlite3_prepare_v2(db, "INSERT INTO jobs(body) VALUES(?)", -1, &insert, nullptr);
  }
  ~sqlite_queue() { close(); }
  void close() {
    sqlite3_finalize(insert);
    insert = nullptr;
    sqlite3_close(db);
    db = nullptr;
  }
  void add() {
    sqlite3_bind_blob(insert, 1, payload.data(), static_cast<int>(payload.size()), SQLITE_STATIC);
    sqlite3_step(insert);
    sqlite3_reset(insert);
  }
  void insert_batch(int rows) {
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    for (int i = 0; i < rows; ++i) add();
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
};

// --- w1_seq -----------------------------------------------------------------------------------

void bm_w1_seq_sluice(benchmark::State& state) {
  sluice::latency_histogram h;
  for (auto _ : state) {
    state.PauseTiming();
    const auto dir = fresh_dir("w1-seq");
    asio::io_context ioc(1);
    sluice::engine eng(ioc.get_executor(), options_for(&dir, knobs::defaults));
    declare(eng, 10'000, 0);
    if (eng.start()) state.SkipWithError("cannot start");
    state.ResumeTiming();
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          for (int i = 0; i < seq_messages; ++i) {
            const sluice::enqueue_options o;
            const auto t0 = steady::now();
            auto [ec, id] =
                co_await eng.async_enqueue_raw("bench", "bench.msg", payload, o, asio::as_tuple(asio::use_awaitable));
            h.record_single_writer(steady::now() - t0);
            if (ec) state.SkipWithError("enqueue failed");
          }
          state.PauseTiming();  // the stop (final snapshot) is not enqueue time
          eng.async_stop(std::chrono::seconds(1), [](error_code) {});
        },
        asio::detached);
    ioc.run();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * seq_messages);
  report_latency(state, h);
}

void bm_w1_seq_sqlite(benchmark::State& state) {
  sluice::latency_histogram h;
  for (auto _ : state) {
    state.PauseTiming();
    const auto dir = fresh_dir("w1-seq-sqlite");
    sqlite_queue q(dir);
    state.ResumeTiming();
    for (int i = 0; i < seq_messages; ++i) {
      const auto t0 = steady::now();
      q.add();  // autocommit: one transaction per row
      h.record_single_writer(steady::now() - t0);
    }
    state.PauseTiming();
    q.close();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * seq_messages);
  report_latency(state, h);
}

// One raw write + fdatasync per message: appended (the file grows: metadata to sync), or over a
// preallocated, zero-filled and synced file (data blocks only).
void bm_w1_seq_raw(benchmark::State& state, bool preallocated) {
  sluice::latency_histogram h;
  for (auto _ : state) {
    state.PauseTiming();
    const auto dir = fresh_dir("w1-seq-raw");
    const int fd = ::open((dir / "log").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (preallocated) {
      const std::string zeros(1 << 20, '\0');
      for (int i = 0; i < 4; ++i) (void)::pwrite(fd, zeros.data(), zeros.size(), static_cast<off_t>(i) << 20);
      (void)::fsync(fd);
    }
    off_t at = 0;
    state.ResumeTiming();
    for (int i = 0; i < seq_messages; ++i) {
      const auto t0 = steady::now();
      if (::pwrite(fd, payload.data(), payload.size(), at) < 0 || ::fdatasync(fd) != 0) state.SkipWithError("io");
      at += static_cast<off_t>(payload.size());
      h.record_single_writer(steady::now() - t0);
    }
    state.PauseTiming();
    ::close(fd);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * seq_messages);
  report_latency(state, h);
}

// --- w1_win -----------------------------------------------------------------------------------

void bm_w1_win_sluice(benchmark::State& state, knobs k) {
  double per_sync = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const auto dir = fresh_dir("w1-win");
    asio::io_context ioc(1);
    sluice::engine eng(ioc.get_executor(), options_for(&dir, k));
    declare(eng, win_messages + 1, 0);
    if (eng.start()) state.SkipWithError("cannot start");
    std::atomic<int> failures{0};
    std::atomic<int> left{window};
    sluice::journal_stats journal;
    state.ResumeTiming();
    spawn_producers(ioc, eng, window, win_messages / window, failures, left, [&] {
      state.PauseTiming();  // everything durable; the stop (final snapshot) is not enqueue time
      journal = eng.stats().journal;
      eng.async_stop(std::chrono::seconds(5), [](error_code) {});
    });
    ioc.run();
    per_sync += static_cast<double>(journal.records) / static_cast<double>(std::max<std::uint64_t>(1, journal.batches));
    if (failures != 0) state.SkipWithError("enqueue failed");
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * (win_messages / window) * window);
  state.counters["records_per_batch"] = per_sync / static_cast<double>(state.iterations());
}

void bm_w1_win_sqlite(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    const auto dir = fresh_dir("w1-win-sqlite");
    sqlite_queue q(dir);
    state.ResumeTiming();
    for (int b = 0; b < win_messages / window; ++b) q.insert_batch(window);
    state.PauseTiming();
    q.close();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * (win_messages / window) * window);
}

// --- w2 ---------------------------------------------------------------------------------------

void bm_w2_sluice(benchmark::State& state, knobs k) {
  const auto workers = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    const auto dir = fresh_dir("w2");
    asio::io_context ioc(1);
    sluice::engine eng(ioc.get_executor(), options_for(&dir, k));
    std::atomic<int> handled{0};
    declare(eng, w2_messages + 1, 0, &handled);
    if (eng.start()) state.SkipWithError("cannot start");
    std::atomic<int> failures{0};
    std::atomic<int> left{window};
    bool done = false;
    // Not timed: the backlog, durable.
    spawn_producers(ioc, eng, window, w2_messages / window, failures, left, [&] {
      asio::post(ioc, [&] {
        state.ResumeTiming();
        if (eng.scale("bench", workers)) state.SkipWithError("cannot scale");
        asio::co_spawn(
            ioc,
            [&]() -> asio::awaitable<void> {
              // The application's own "all handled" notion, then: are the acks durable?
              asio::steady_timer t(ioc);
              while (handled.load(std::memory_order_relaxed) < (w2_messages / window) * window) {
                t.expires_after(std::chrono::microseconds(100));
                co_await t.async_wait(asio::use_awaitable);
              }
              auto [ec] = co_await eng.async_flush(asio::as_tuple(asio::use_awaitable));
              if (ec) state.SkipWithError("flush failed");
              state.PauseTiming();
              done = true;
              eng.async_stop(std::chrono::seconds(5), [](error_code) {});
            },
            asio::detached);
      });
    });
    ioc.run();
    if (failures != 0 || !done) state.SkipWithError("enqueue failed");
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * (w2_messages / window) * window);
}

void bm_w2_sqlite(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    const auto dir = fresh_dir("w2-sqlite");
    sqlite_queue q(dir);
    for (int b = 0; b < w2_messages / window; ++b) q.insert_batch(window);
    sqlite3_stmt* take = nullptr;
    sqlite3_stmt* done = nullptr;
    sqlite3_prepare_v2(q.db, "SELECT id, body FROM jobs ORDER BY id LIMIT ?", -1, &take, nullptr);
    sqlite3_prepare_v2(q.db, "DELETE FROM jobs WHERE id = ?", -1, &done, nullptr);
    std::vector<sqlite3_int64> ids;
    state.ResumeTiming();
    for (int handled = 0; handled < (w2_messages / window) * window;) {
      sqlite3_exec(q.db, "BEGIN", nullptr, nullptr, nullptr);
      ids.clear();
      sqlite3_bind_int(take, 1, batch);
      while (sqlite3_step(take) == SQLITE_ROW) {
        ids.push_back(sqlite3_column_int64(take, 0));
        benchmark::DoNotOptimize(sqlite3_column_blob(take, 1));
      }
      sqlite3_reset(take);
      for (auto id : ids) {
        sqlite3_bind_int64(done, 1, id);
        sqlite3_step(done);
        sqlite3_reset(done);
      }
      sqlite3_exec(q.db, "COMMIT", nullptr, nullptr, nullptr);
      handled += static_cast<int>(ids.size());
      if (ids.empty()) break;
    }
    state.PauseTiming();
    sqlite3_finalize(take);
    sqlite3_finalize(done);
    q.close();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * (w2_messages / window) * window);
}

// --- w3 ---------------------------------------------------------------------------------------

void bm_w3_sluice(benchmark::State& state, knobs k) {
  const int threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    asio::io_context ioc(threads);
    sluice::engine eng(ioc.get_executor(), options_for(nullptr, k));
    std::atomic<int> handled{0};
    declare(eng, 10'000, static_cast<std::size_t>(threads), &handled);
    (void)eng.start();
    std::atomic<int> failures{0};
    std::atomic<int> left{window};
    spawn_producers(ioc, eng, window, w3_messages / window, failures, left, [&] {
      // Every enqueue completed; stop once the handlers have seen them all.
      asio::co_spawn(
          ioc,
          [&]() -> asio::awaitable<void> {
            while (handled.load(std::memory_order_relaxed) < (w3_messages / window) * window) {
              co_await asio::post(ioc, asio::use_awaitable);
            }
            eng.async_stop(std::chrono::seconds(5), [](error_code) {});
          },
          asio::detached);
    });
    run_threads(ioc, threads);
    if (failures != 0) state.SkipWithError("enqueue failed");
  }
  state.SetItemsProcessed(state.iterations() * (w3_messages / window) * window);
}

using channel = asio::experimental::concurrent_channel<void(error_code, std::string)>;

asio::awaitable<void> channel_handler(std::string_view p, std::atomic<int>& handled) {
  benchmark::DoNotOptimize(p.data());
  handled.fetch_add(1, std::memory_order_relaxed);
  co_return;
}

void bm_w3_channel(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const int total = (w3_messages / window) * window;
  for (auto _ : state) {
    asio::io_context ioc(threads);
    channel ch(ioc, 10'000);
    std::atomic<int> handled{0};
    for (int c = 0; c < threads; ++c) {
      asio::co_spawn(
          ioc,
          [&]() -> asio::awaitable<void> {
            for (;;) {
              auto [ec, m] = co_await ch.async_receive(asio::as_tuple(asio::use_awaitable));
              if (ec) co_return;
              co_await channel_handler(m, handled);
              if (handled.load(std::memory_order_relaxed) == total) ch.close();
            }
          },
          asio::detached);
    }
    for (int p = 0; p < window; ++p) {
      asio::co_spawn(
          ioc,
          [&]() -> asio::awaitable<void> {
            for (int i = 0; i < w3_messages / window; ++i) {
              std::string copy = payload;  // what the engine copies into its envelope
              auto [ec] = co_await ch.async_send(error_code{}, std::move(copy), asio::as_tuple(asio::use_awaitable));
              if (ec) co_return;
            }
          },
          asio::detached);
    }
    run_threads(ioc, threads);
    if (handled.load() != total) state.SkipWithError("lost messages");
  }
  state.SetItemsProcessed(state.iterations() * total);
}

}  // namespace

BENCHMARK(bm_w1_seq_sluice)->Name("w1_seq/sluice")->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(bm_w1_seq_sqlite)
    ->Name("w1_seq/sqlite_wal_full_1_row_txn")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK_CAPTURE(bm_w1_seq_raw, append, false)
    ->Name("w1_seq/raw_append_fdatasync")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK_CAPTURE(bm_w1_seq_raw, overwrite, true)
    ->Name("w1_seq/raw_overwrite_fdatasync")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK_CAPTURE(bm_w1_win_sluice, defaults, knobs::defaults)
    ->Name("w1_win/sluice")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK_CAPTURE(bm_w1_win_sluice, off, knobs::off)
    ->Name("w1_win/sluice_knobs_off")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK(bm_w1_win_sqlite)
    ->Name("w1_win/sqlite_wal_full_256_rows_txn")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK_CAPTURE(bm_w2_sluice, defaults, knobs::defaults)
    ->Name("w2/sluice")
    ->ArgName("workers")
    ->Arg(4)
    ->Arg(16)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK_CAPTURE(bm_w2_sluice, off, knobs::off)
    ->Name("w2/sluice_knobs_off")
    ->ArgName("workers")
    ->Arg(4)
    ->Arg(16)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK(bm_w2_sqlite)
    ->Name("w2/sqlite_jobs_table")
    ->ArgName("workers")
    ->Arg(4)
    ->Arg(16)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK_CAPTURE(bm_w3_sluice, defaults, knobs::defaults)
    ->Name("w3/sluice")
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(bm_w3_sluice, off, knobs::off)
    ->Name("w3/sluice_knobs_off")
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(bm_w3_channel)
    ->Name("w3/raw_channel")
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
