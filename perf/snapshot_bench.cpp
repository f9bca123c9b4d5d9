// Recovery and snapshots at 1,000,000 messages, each next to a baseline measured in the same run:
//   recovery_journal_1M: start() on a journal of 1,000,000 enqueue records (snapshots off);
//     baselines: reading the same segment files and checking their CRC32C, nothing else; and
//     allocating the state recovery builds (1M messages with their payloads), nothing else.
//   snapshot_1M: the first snapshot of 1,000,000 pending messages (every row written) while
//     4 workers consume; baseline: one raw SQLite WAL transaction (synchronous=FULL) inserting
//     1,000,000 rows of the same payload. Counters: the longest and p99 pause between handler
//     starts while the snapshot runs, and over an equal window right after it (the baseline).
//   recovery_snapshot_1M: start() from that snapshot (rows loaded and CRC-checked); baseline:
//     recovery_journal_1M above.
// Files go to build/perf-data (the repository's disk, never tmpfs). Not part of CI.
#include "sluice/journal/crc32c.hpp"
#include "sluice/sluice.hpp"
#include "sluice/stats/latency_histogram.hpp"

#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

namespace asio = boost::asio;
namespace stdfs = std::filesystem;
using boost::system::error_code;
using steady = std::chrono::steady_clock;

namespace {

constexpr int messages = 1'000'000;
constexpr int window = 256;
const std::string payload(256, 'p');

stdfs::path data_root() { return stdfs::current_path() / "perf-data"; }

sluice::engine_options options_for(const stdfs::path& dir, bool snapshots) {
  sluice::engine_options o;
  o.log = [](sluice::log_level, std::string_view) {};
  o.persistence.data_dir = dir.string();
  o.persistence.snapshots = snapshots;
  o.persistence.snapshot_every_records = UINT64_MAX;  // only when asked
  o.persistence.snapshot_interval = std::chrono::hours(1);
  o.persistence.snapshot_on_stop = false;
  return o;
}

void declare(sluice::engine& eng, std::function<void()> on_run = {}) {
  sluice::queue_options q;
  q.capacity = messages + 1;
  q.min_workers = 0;  // consumers start only when scaled up
  q.max_workers = 4;
  (void)eng.declare_queue("bench", q);
  (void)eng.handle_raw("bench", "bench.msg", [on_run](std::string_view, sluice::context&) -> asio::awaitable<void> {
    if (on_run) on_run();
    co_return;
  });
}

void stop(sluice::engine& eng, asio::io_context& ioc) {
  bool stopped = false;
  eng.async_stop(std::chrono::seconds(5), [&](error_code) { stopped = true; });
  while (!stopped) ioc.run_one();
}

// The journal of 1,000,000 durable enqueues, built once per run (snapshots off).
const stdfs::path& journal_1m() {
  static const stdfs::path dir = [] {
    auto d = data_root() / "snapshot-journal";
    stdfs::remove_all(d);
    stdfs::create_directories(d.parent_path());
    asio::io_context ioc(1);
    sluice::engine eng(ioc.get_executor(), options_for(d, false));
    declare(eng);
    if (eng.start()) throw std::runtime_error("cannot start");
    int left = window;
    int sent = 0;
    for (int p = 0; p < window; ++p) {
      asio::co_spawn(
          ioc,
          [&]() -> asio::awaitable<void> {
            while (sent < messages) {
              ++sent;
              const sluice::enqueue_options o;
              co_await eng.async_enqueue_raw("bench", "bench.msg", payload, o, asio::as_tuple(asio::use_awaitable));
            }
            if (--left == 0) eng.async_stop(std::chrono::seconds(1), [](error_code) {});
          },
          asio::detached);
    }
    ioc.run();
    return d;
  }();
  return dir;
}

stdfs::path copy_of_journal(const std::string& name) {
  const auto d = data_root() / name;
  stdfs::remove_all(d);
  stdfs::copy(journal_1m(), d, stdfs::copy_options::recursive);
  stdfs::remove(d / "LOCK");
  return d;
}

void bm_recover_journal(benchmark::State& state) {
  const auto dir = journal_1m();
  for (auto _ : state) {
    asio::io_context ioc(1);
    auto eng = std::make_unique<sluice::engine>(ioc.get_executor(), options_for(dir, false));
    declare(*eng);
    if (auto ec = eng->start()) {
      state.SkipWithError(("cannot start: " + ec.message()).c_str());
      break;
    }
    state.PauseTiming();  // recovery is start(); stopping and freeing the messages is not timed
    const auto pending = eng->stats().queues.at(0).pending;
    stop(*eng, ioc);
    eng.reset();
    if (pending != static_cast<std::uint64_t>(messages)) {
      state.SkipWithError(("recovered " + std::to_string(pending) + " messages").c_str());
      break;
    }
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * messages);
}

void bm_raw_read_crc(benchmark::State& state) {
  const auto dir = journal_1m() / "journal";
  std::vector<char> buf(1 << 20);
  for (auto _ : state) {
    std::uint32_t crc = 0;
    for (const auto& e : stdfs::directory_iterator(dir)) {
      std::ifstream in(e.path(), std::ios::binary);
      while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
        crc = sluice::crc32c::extend(crc, buf.data(), static_cast<std::size_t>(in.gcount()));
      }
    }
    benchmark::DoNotOptimize(crc);
  }
  state.SetItemsProcessed(state.iterations() * messages);
}

// The memory recovery must build, alone: 1,000,000 messages of the engine's own type, each on the
// heap with its 256-byte payload copied in, and a vector holding them (no reading, no decoding,
// no queue). Recovery cannot be faster than this; freeing them is not timed.
void bm_allocate_state(benchmark::State& state) {
  for (auto _ : state) {
    std::vector<std::unique_ptr<sluice::message>> held;
    held.reserve(messages);
    for (int i = 0; i < messages; ++i) {
      auto m = std::make_unique<sluice::message>();
      m->id = sluice::message_id{static_cast<std::uint64_t>(i) << 16, static_cast<std::uint64_t>(i)};
      m->type = "bench.msg";
      m->payload = payload;
      held.push_back(std::move(m));
    }
    benchmark::DoNotOptimize(held.data());
    state.PauseTiming();
    held.clear();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * messages);
}

void bm_first_snapshot(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    const auto dir = copy_of_journal("snapshot-first");
    asio::io_context ioc(1);
    // Pauses between handler starts: while the snapshot runs, then over an equal window after.
    sluice::latency_histogram during;
    sluice::latency_histogram after;
    steady::duration longest_during{};
    steady::duration longest_after{};
    steady::time_point last{};
    int phase = 0;  // 0 during the snapshot, 1 the baseline window, 2 done
    steady::time_point baseline_end{};
    sluice::engine* engine = nullptr;
    sluice::engine* stopping = nullptr;
    auto stop_once = [&] {
      if (phase == 2 && stopping == nullptr) {
        stopping = engine;
        engine->async_stop(std::chrono::seconds(5), [](error_code) {});
      }
    };
    auto on_run = [&] {
      const auto now = steady::now();
      if (last != steady::time_point{} && phase < 2) {
        const auto gap = now - last;
        (phase == 0 ? during : after).record_single_writer(gap);
        auto& longest = phase == 0 ? longest_during : longest_after;
        longest = std::max(longest, gap);
      }
      last = now;
      if (phase == 1 && now >= baseline_end) {
        phase = 2;
        stop_once();
      }
    };
    sluice::engine eng(ioc.get_executor(), options_for(dir, true));
    engine = &eng;
    declare(eng, on_run);
    if (auto ec = eng.start()) {
      state.SkipWithError(("cannot start: " + ec.message()).c_str());
      break;
    }
    state.ResumeTiming();
    sluice::snapshot_report report;
    error_code result;
    // The baseline window also ends by the clock: the handlers may drain the queue before it does.
    asio::steady_timer window_end(ioc);
    eng.async_snapshot([&](error_code ec, sluice::snapshot_report r) {
      result = ec;
      report = r;
      phase = 1;
      baseline_end = steady::now() + r.took;
      window_end.expires_at(baseline_end);
      window_end.async_wait([&](error_code) {
        phase = 2;
        stop_once();
      });
    });
    (void)eng.scale("bench", 4);
    ioc.run();
    state.PauseTiming();
    if (result || !report.committed) {
      state.SkipWithError(("snapshot failed: " + result.message()).c_str());
      break;
    }
    const auto ms = [](steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
    state.counters["rows"] = static_cast<double>(report.rows_written);
    state.counters["snapshot_s"] = std::chrono::duration<double>(report.took).count();
    state.counters["stall_max_ms"] = ms(longest_during);
    state.counters["stall_p99_ms"] = ms(during.summarize().p99);
    state.counters["baseline_stall_max_ms"] = ms(longest_after);
    state.counters["baseline_stall_p99_ms"] = ms(after.summarize().p99);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * messages);
}

void bm_raw_sqlite_rows(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    const auto dir = data_root() / "snapshot-sqlite";
    stdfs::remove_all(dir);
    stdfs::create_directories(dir);
    sqlite3* db = nullptr;
    sqlite3_open((dir / "raw.db").c_str(), &db);
    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE m(id TEXT PRIMARY KEY, body BLOB)",
                 nullptr, nullptr, nullptr);
    sqlite3_stmt* insert = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO m VALUES(?, ?)", -1, &insert, nullptr);
    state.ResumeTiming();
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    char id[32];
    for (int i = 0; i < messages; ++i) {
      const int n = std::snprintf(id, sizeof id, "01J%023d", i);
      sqlite3_bind_text(insert, 1, id, n, SQLITE_STATIC);
      sqlite3_bind_blob(insert, 2, payload.data(), static_cast<int>(payload.size()), SQLITE_STATIC);
      sqlite3_step(insert);
      sqlite3_reset(insert);
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    state.PauseTiming();
    sqlite3_finalize(insert);
    sqlite3_close(db);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * messages);
}

void bm_recover_snapshot(benchmark::State& state) {
  // A data directory whose newest snapshot holds all 1,000,000 messages.
  const auto dir = copy_of_journal("snapshot-recover");
  {
    asio::io_context ioc(1);
    sluice::engine eng(ioc.get_executor(), options_for(dir, true));
    declare(eng);
    if (auto ec = eng.start()) {
      state.SkipWithError(("cannot start: " + ec.message()).c_str());
      return;
    }
    for (int i = 0; i < 2; ++i) {  // both generations
      bool done = false;
      eng.async_snapshot([&](error_code, sluice::snapshot_report) { done = true; });
      while (!done) ioc.run_one();
    }
    stop(eng, ioc);
  }
  std::uint64_t replayed_pending = 0;
  for (auto _ : state) {
    asio::io_context ioc(1);
    auto eng = std::make_unique<sluice::engine>(ioc.get_executor(), options_for(dir, true));
    declare(*eng);
    if (auto ec = eng->start()) {
      state.SkipWithError(("cannot start: " + ec.message()).c_str());
      break;
    }
    state.PauseTiming();  // as above: start() is timed
    replayed_pending = eng->stats().queues.at(0).pending;
    stop(*eng, ioc);
    eng.reset();
    state.ResumeTiming();
  }
  if (replayed_pending != static_cast<std::uint64_t>(messages)) state.SkipWithError("lost messages");
  state.SetItemsProcessed(state.iterations() * messages);
}

}  // namespace

BENCHMARK(bm_recover_journal)
    ->Name("recovery_journal_1M/sluice")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);
BENCHMARK(bm_raw_read_crc)
    ->Name("recovery_journal_1M/raw_read_crc")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);
BENCHMARK(bm_allocate_state)
    ->Name("recovery_journal_1M/allocate_state")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);
BENCHMARK(bm_first_snapshot)->Name("snapshot_1M/sluice")->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(bm_raw_sqlite_rows)
    ->Name("snapshot_1M/raw_sqlite_one_txn")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK(bm_recover_snapshot)
    ->Name("recovery_snapshot_1M/sluice")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);
