// The snapshot thread (see snapshotter.hpp).
#include "sluice/persist/snapshotter.hpp"

#include "sluice/error.hpp"
#include "sluice/journal/record_codec.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>

#include <optional>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace sluice::persist {

namespace asio = boost::asio;
using boost::system::error_code;
using steady = std::chrono::steady_clock;

namespace {

snapshot_report report_of(const snapshot::snapshot_result& r) {
  snapshot_report out;
  out.committed = r.committed;
  out.covered_lsn = r.covered_lsn;
  out.generation = r.generation;
  out.rows_written = r.counts.written;
  out.rows_erased = r.counts.erased;
  out.segments_deleted = r.segments_deleted;
  out.took = r.took;
  return out;
}

// After a failed snapshot, the next try comes this much later (or at the next request).
constexpr auto retry_after = std::chrono::seconds(1);

}  // namespace

snapshotter::snapshotter(std::unique_ptr<snapshot::snapshot_keeper> keeper, snapshot_schedule schedule,
                         asio::any_io_executor fallback, std::shared_ptr<log_sink> log)
    : keeper_(std::move(keeper)), schedule_(schedule), fallback_(std::move(fallback)), log_(std::move(log)) {
  stats_.enabled = true;
  stats_.covered_lsn = keeper_->covered_lsn();
  thread_ = std::thread([this] { run(); });
}

snapshotter::~snapshotter() { stop(); }

void snapshotter::feed(durable_batch&& batch) {
  bool wake = false;
  {
    const std::lock_guard lock(mutex_);
    // Wake the thread when records start arriving (it then waits for the interval instead of
    // indefinitely) and when the count first reaches every_records; not for every batch (on two
    // cores a wake-up per batch takes a core from the writer or the application for nothing: the
    // thread only sleeps again). The thread checks both under the mutex before it sleeps.
    const std::uint64_t before = folded_since_ + incoming_records_;
    const std::uint64_t after = before + batch.records.size();
    wake = before == 0 || (before < schedule_.every_records && after >= schedule_.every_records);
    incoming_records_ += batch.records.size();
    incoming_.push_back(std::move(batch));
  }
  if (wake) wake_.notify_one();
}

void snapshotter::request(done_handler done) {
  {
    const std::lock_guard lock(mutex_);
    if (!stopping_) {
      waiters_.push_back({std::move(done), asio::prefer(fallback_, asio::execution::outstanding_work.tracked)});
      wake_.notify_one();
      return;
    }
  }
  asio::post(fallback_, asio::append(std::move(done), make_error_code(errc::shutting_down), snapshot_report{}));
}

void snapshotter::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

snapshot_stats snapshotter::stats() const {
  const std::lock_guard lock(mutex_);
  snapshot_stats s = stats_;
  return s;
}

void snapshotter::fold(std::deque<durable_batch>& batches) {
  for (auto& b : batches) {
    std::uint64_t lsn = b.first_lsn;
    for (const auto& r : b.records) {
      if (r.in_journal) {  // an enqueue: its row is read back from the journal at commit
        keeper_->add(r.id, journal::record_locator{b.segment_base, r.at, lsn, static_cast<std::uint32_t>(r.size)});
      } else if (auto e = journal::decode_event(r.type, b.payload(r))) {
        keeper_->add(lsn, std::move(*e));
      } else {
        ++undecodable_;  // the engine encoded it: impossible unless memory is corrupt
      }
      ++lsn;
    }
  }
  batches.clear();
}

bool snapshotter::take_snapshot(std::vector<waiter>& waiters) {
  std::string detail;
  auto r = keeper_->snapshot(detail);
  {
    const std::lock_guard lock(mutex_);
    if (r) {
      if (r->committed) {
        ++stats_.snapshots;
        stats_.covered_lsn = r->covered_lsn;
        stats_.segments_deleted += r->segments_deleted;
        stats_.last_took = r->took;
        stats_.longest_took = std::max(stats_.longest_took, r->took);
      }
      stats_.last_error.clear();
    } else {
      ++stats_.failures;
      stats_.last_error = detail;
    }
    stats_.behind_records = keeper_->latest_lsn() - keeper_->covered_lsn();
  }
  if (!r) {
    try {
      (*log_)(log_level::warn, detail + " (" + r.error().message() + "); the journal is kept, retrying");
    } catch (...) {
    }
  } else if (!r->note.empty()) {
    try {
      (*log_)(log_level::warn, "snapshot: " + r->note);
    } catch (...) {
    }
  }
  const error_code ec = r ? error_code{} : r.error();
  const snapshot_report report = r ? report_of(*r) : snapshot_report{};
  if (!waiters.empty()) {
    // Completions run on the application's executor (each then on its own associated executor),
    // never on this thread: a handler without an executor must not run here.
    asio::post(fallback_, [waiters = std::move(waiters), ec, report]() mutable {
      for (auto& w : waiters) asio::dispatch(asio::append(std::move(w.done), ec, report));
    });
    waiters.clear();
  }
  return !ec;
}

void snapshotter::run() {
  // Below the engine's threads: when the machine is busy, enqueue and dispatch come first (the
  // snapshot only bounds the journal and the recovery time). Best effort: an error changes nothing.
  (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), 10);
  std::deque<durable_batch> batches;
  std::vector<waiter> waiters;
  std::uint64_t since = 0;  // records folded since the last snapshot
  auto last = steady::now();
  std::optional<steady::time_point> retry_at;  // set after a failure
  std::unique_lock lock(mutex_);
  for (;;) {
    auto wake_now = [&] {
      return stopping_ || !waiters_.empty() || (!retry_at && since + incoming_records_ >= schedule_.every_records);
    };
    if (retry_at) {
      wake_.wait_until(lock, *retry_at, wake_now);
    } else if (since + incoming_records_ > 0) {
      wake_.wait_until(lock, last + schedule_.interval, wake_now);
      // Enough records, but not sooner than min_gap after the last snapshot: under a burst the
      // snapshots coalesce instead of running back to back.
      if (!stopping_ && waiters_.empty())
        wake_.wait_until(lock, last + schedule_.min_gap, [&] { return stopping_ || !waiters_.empty(); });
    } else {
      wake_.wait(lock, [&] { return wake_now() || incoming_records_ > 0; });
    }
    batches.swap(incoming_);
    since += incoming_records_;
    incoming_records_ = 0;
    folded_since_ = since;
    waiters.insert(waiters.end(), std::make_move_iterator(waiters_.begin()), std::make_move_iterator(waiters_.end()));
    waiters_.clear();
    const bool stopping = stopping_;
    lock.unlock();

    fold(batches);
    const auto now = steady::now();
    const bool scheduled = retry_at ? now >= *retry_at
                                    : ((since >= schedule_.every_records && now >= last + schedule_.min_gap) ||
                                       now >= last + schedule_.interval);
    if (!waiters.empty() || (stopping && schedule_.on_stop) || (scheduled && since > 0)) {
      if (take_snapshot(waiters)) {
        since = 0;
        last = now;
        retry_at.reset();
      } else {
        retry_at = now + retry_after;
      }
    }
    lock.lock();
    folded_since_ = since;  // 0 after a snapshot
    if (stopping && incoming_.empty() && waiters_.empty()) break;
  }
  lock.unlock();
  for (auto& w : waiters) {
    asio::post(fallback_, asio::append(std::move(w.done), make_error_code(errc::shutting_down), snapshot_report{}));
  }
}

}  // namespace sluice::persist
