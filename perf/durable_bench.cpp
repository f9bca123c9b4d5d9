// Durable enqueue against what a user would otherwise do on the same disk, in the same run:
//   durable_windowed: 256 enqueues outstanding (256-byte payloads), messages/s until all are
//     durable; baselines: a raw SQLite WAL insert loop (synchronous=FULL, 256 rows per
//     transaction) and a raw append+fdatasync loop (one fdatasync per message).
//     durable_windowed/sluice_no_snapshots: the same with snapshots off (what snapshots cost).
//   durable_latency: one enqueue at a time, p50/p99 from the call to the durable completion;
//     baseline: one raw 256-byte append + fdatasync.
//   durable_e2e: 16 messages in flight through enqueue (durable), handler and durable ack;
//     baseline: the same job flow on a raw SQLite WAL table (synchronous=FULL): insert 16 jobs in
//     one transaction, then take and delete them in a second one.
// Files go to build/perf-data (the repository's disk, never tmpfs). Not part of CI.
#include "sluice/sluice.hpp"
#include "sluice/stats/latency_histogram.hpp"

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr int windowed_messages = 20'000;
constexpr int window = 256;
constexpr int latency_messages = 2'000;
const std::string payload(256, 'p');

std::filesystem::path fresh_dir(const std::string& name) {
  auto dir = std::filesystem::current_path() / "perf-data" / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

sluice::engine_options durable_options(const std::filesystem::path& dir, bool snapshots = true) {
  sluice::engine_options o;
  o.log = [](sluice::log_level, std::string_view) {};
  o.persistence.data_dir = dir.string();
  o.persistence.snapshots = snapshots;
  return o;
}

void declare(sluice::engine& eng) {
  sluice::queue_options q;
  q.capacity = windowed_messages + 1;
  q.min_workers = 0;  // nobody consumes: this measures the durable enqueue alone
  q.max_workers = 1;
  (void)eng.declare_queue("bench", q);
  (void)eng.handle_raw("bench", "bench.msg",
                       [](std::string_view, sluice::context&) -> asio::awaitable<void> { co_return; });
}

void report_latency(benchmark::State& state, const sluice::latency_histogram& h) {
  const auto s = h.summarize();
  state.counters["p50_us"] = static_cast<double>(s.p50.count()) / 1000.0;
  state.counters["p99_us"] = static_cast<double>(s.p99.count()) / 1000.0;
}

void bm_sluice_windowed(benchmark::State& state, bool snapshots) {
  for (auto _ : state) {
    state.PauseTiming();
    const auto dir = fresh_dir("windowed");
    asio::io_context ioc(1);
    sluice::engine eng(ioc.get_executor(), durable_options(dir, snapshots));
    declare(eng);
    if (eng.start()) state.SkipWithError("cannot start");
    int failures = 0;
    int producers_left = window;
    bool stopped = false;
    sluice::journal_stats journal;
    state.ResumeTiming();
    for (int p = 0; p < window; ++p) {
      asio::co_spawn(
          ioc,
          [&]() -> asio::awaitable<void> {
            for (int i = 0; i < windowed_messages / window; ++i) {
              const sluice::enqueue_options o;
              auto [ec, id] =
                  co_await eng.async_enqueue_raw("bench", "bench.msg", payload, o, asio::as_tuple(asio::use_awaitable));
              if (ec) ++failures;
            }
            if (--producers_left == 0) {  // everything durable: stop (the engine's parked waits hold the context)
              state.PauseTiming();        // the stop (journal close, final snapshot) is not enqueue time
              journal = eng.stats().journal;
              eng.async_stop(std::chrono::seconds(1), [&](error_code) { stopped = true; });
            }
          },
          asio::detached);
    }
    ioc.run();  // timing paused by the last producer
    state.counters["messages_per_fsync"] = static_cast<double>(journal.records) / static_cast<double>(journal.batches);
    if (failures != 0 || !stopped) state.SkipWithError("enqueue failed");
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * (windowed_messages / window) * window);
}

void bm_sqlite_windowed(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    const auto dir = fresh_dir("sqlite");
    sqlite3* db = nullptr;
    sqlite3_open((dir / "q.db").c_str(), &db);
    sqlite3_exec(db,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE m(id INTEGER PRIMARY KEY, body BLOB)",
                 nullptr, nullptr, nullptr);
    sqlite3_stmt* insert = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO m(body) VALUES(?)", -1, &insert, nullptr);
    state.ResumeTiming();
    for (int b = 0; b < windowed_messages / window; ++b) {
      sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
      for (int i = 0; i < window; ++i) {
        sqlite3_bind_blob(insert, 1, payload.data(), static_cast<int>(payload.size()), SQLITE_STATIC);
        sqlite3_step(insert);
        sqlite3_reset(insert);
      }
      sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    }
    state.PauseTiming();
    sqlite3_finalize(insert);
    sqlite3_close(db);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * (windowed_messages / window) * window);
}

// One raw append + fdatasync per message: what "acknowledge after fsync" costs without batching.
void bm_raw_fdatasync(benchmark::State& state, int messages, bool latency) {
  sluice::latency_histogram h;
  for (auto _ : state) {
    state.PauseTiming();
    const auto dir = fresh_dir("raw");
    const int fd = ::open((dir / "log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    state.ResumeTiming();
    for (int i = 0; i < messages; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      if (::write(fd, payload.data(), payload.size()) < 0 || ::fdatasync(fd) != 0) state.SkipWithError("io");
      if (latency) h.record_single_writer(std::chrono::steady_clock::now() - t0);
    }
    state.PauseTiming();
    ::close(fd);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * messages);
  if (latency) report_latency(state, h);
}

void bm_sluice_latency(benchmark::State& state) {
  sluice::latency_histogram h;
  for (auto _ : state) {
    state.PauseTiming();
    const auto dir = fresh_dir("latency");
    asio::io_context ioc(1);
    sluice::engine eng(ioc.get_executor(), durable_options(dir));
    declare(eng);
    if (eng.start()) state.SkipWithError("cannot start");
    state.ResumeTiming();
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          for (int i = 0; i < latency_messages; ++i) {
            const sluice::enqueue_options o;
            const auto t0 = std::chrono::steady_clock::now();
            auto [ec, id] =
                co_await eng.async_enqueue_raw("bench", "bench.msg", payload, o, asio::as_tuple(asio::use_awaitable));
            (void)id;
            h.record_single_writer(std::chrono::steady_clock::now() - t0);
            if (ec) state.SkipWithError("enqueue failed");
          }
          eng.async_stop(std::chrono::seconds(1), [](error_code) {});
        },
        asio::detached);
    ioc.run();
    state.PauseTiming();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * latency_messages);
  report_latency(state, h);
}

constexpr int e2e_messages = 20'000;
constexpr int e2e_in_flight = 16;

// tracked: engine_options::track_messages (the default); untracked shows what the index costs here.
void bm_sluice_e2e(benchmark::State& state, bool tracked) {
  for (auto _ : state) {
    state.PauseTiming();
    const auto dir = fresh_dir("e2e");
    asio::io_context ioc(1);
    auto options = durable_options(dir);
    options.track_messages = tracked;
    sluice::engine eng(ioc.get_executor(), options);
    sluice::queue_options q;
    q.min_workers = q.max_workers = e2e_in_flight;
    (void)eng.declare_queue("bench", q);
    int handled = 0;
    int failures = 0;
    (void)eng.handle_raw("bench", "bench.msg", [&](std::string_view, sluice::context&) -> asio::awaitable<void> {
      if (++handled == e2e_messages) {
        state.PauseTiming();  // the stop (journal close, final snapshot) is not part of the flow
        eng.async_stop(std::chrono::seconds(1), [](error_code) {});
      }
      co_return;
    });
    if (eng.start()) state.SkipWithError("cannot start");
    state.ResumeTiming();
    // 16 producers, each with one message in flight: enqueue (durable), then the next.
    for (int p = 0; p < e2e_in_flight; ++p) {
      asio::co_spawn(
          ioc,
          [&]() -> asio::awaitable<void> {
            for (int i = 0; i < e2e_messages / e2e_in_flight; ++i) {
              const sluice::enqueue_options o;
              auto [ec, id] =
                  co_await eng.async_enqueue_raw("bench", "bench.msg", payload, o, asio::as_tuple(asio::use_awaitable));
              if (ec) ++failures;
            }
          },
          asio::detached);
    }
    ioc.run();  // timing paused by the last handler
    if (failures != 0 || handled != e2e_messages) state.SkipWithError("lost messages");
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * e2e_messages);
}

void bm_sqlite_e2e(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    const auto dir = fresh_dir("sqlite-e2e");
    sqlite3* db = nullptr;
    sqlite3_open((dir / "jobs.db").c_str(), &db);
    sqlite3_exec(db,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                 "CREATE TABLE jobs(id INTEGER PRIMARY KEY, body BLOB)",
                 nullptr, nullptr, nullptr);
    sqlite3_stmt* insert = nullptr;
    sqlite3_stmt* take = nullptr;
    sqlite3_stmt* done = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO jobs(body) VALUES(?)", -1, &insert, nullptr);
    sqlite3_prepare_v2(db, "SELECT id, body FROM jobs ORDER BY id LIMIT 16", -1, &take, nullptr);
    sqlite3_prepare_v2(db, "DELETE FROM jobs WHERE id = ?", -1, &done, nullptr);
    state.ResumeTiming();
    for (int b = 0; b < e2e_messages / e2e_in_flight; ++b) {
      sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
      for (int i = 0; i < e2e_in_flight; ++i) {
        sqlite3_bind_blob(insert, 1, payload.data(), static_cast<int>(payload.size()), SQLITE_STATIC);
        sqlite3_step(insert);
        sqlite3_reset(insert);
      }
      sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
      sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
      std::vector<sqlite3_int64> ids;
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
      sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    }
    state.PauseTiming();
    sqlite3_finalize(insert);
    sqlite3_finalize(take);
    sqlite3_finalize(done);
    sqlite3_close(db);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * e2e_messages);
}

}  // namespace

BENCHMARK_CAPTURE(bm_sluice_e2e, tracked, true)
    ->Name("durable_e2e/sluice")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);
BENCHMARK_CAPTURE(bm_sluice_e2e, untracked, false)
    ->Name("durable_e2e/sluice_untracked")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);
BENCHMARK(bm_sqlite_e2e)
    ->Name("durable_e2e/sqlite_jobs_table")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);
BENCHMARK_CAPTURE(bm_sluice_windowed, no_snapshots, false)
    ->Name("durable_windowed/sluice_no_snapshots")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);
BENCHMARK_CAPTURE(bm_sluice_windowed, snapshots, true)
    ->Name("durable_windowed/sluice")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);
BENCHMARK(bm_sqlite_windowed)
    ->Name("durable_windowed/sqlite_wal_batched")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);
BENCHMARK_CAPTURE(bm_raw_fdatasync, windowed, 2'000, false)
    ->Name("durable_windowed/raw_append_fdatasync")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);
BENCHMARK(bm_sluice_latency)
    ->Name("durable_latency/sluice")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK_CAPTURE(bm_raw_fdatasync, latency, latency_messages, true)
    ->Name("durable_latency/raw_append_fdatasync")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
