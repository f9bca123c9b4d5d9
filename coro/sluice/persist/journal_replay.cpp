// Pass two of recovery on two threads (see journal_replay.hpp).
#include "sluice/persist/journal_replay.hpp"

#include "sluice/error.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <new>
#include <string_view>
#include <thread>
#include <utility>

namespace sluice::persist {

namespace {

using record = std::pair<std::uint64_t, std::variant<journal::durable_message, journal::event>>;

// A record handed over undecoded: its payload views the segment buffer, which the reader reads
// over only once every raw batch of the segment was consumed (wait_raw_consumed).
struct raw_record {
  std::uint64_t lsn = 0;
  journal::record_type type{};
  std::string_view payload;
};

// Records in LSN order, either decoded by the reader or raw, for the applier to decode.
struct batch {
  std::vector<record> decoded;
  std::vector<raw_record> raw;
  [[nodiscard]] bool empty() const noexcept { return decoded.empty() && raw.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return decoded.size() + raw.size(); }
};

constexpr std::size_t batch_events = 1024;
constexpr std::size_t batches_ahead = 4;
// The reader decodes a batch itself when at least this many wait for the applier, and hands it
// over raw otherwise: the applier, idle or nearly, decodes it (work sharing, so that decoding and
// its allocations run on both threads whichever of the two is slower).
constexpr std::size_t applier_busy = 2;

// A record's payload decoded: an enqueue into the durable message it creates (its heap message
// the one the engine keeps), anything else into its event. False if it does not decode.
template <class Enqueue, class Other>
bool decode_record(std::uint64_t lsn, journal::record_type type, std::string_view payload, Enqueue&& on_enqueue,
                   Other&& on_other) {
  if (type == journal::record_type::enqueue) {
    journal::durable_message d;
    if (!journal::decode_enqueue(payload, d.queue, *d.m)) return false;
    journal::place_enqueued(d, lsn);
    on_enqueue(std::move(d));
    return true;
  }
  auto e = journal::decode_event(type, payload);
  if (!e) return false;
  on_other(std::move(*e));
  return true;
}

// Batches from the reader to the applier, and emptied ones back for reuse.
class handoff {
 public:
  // Reader: false when the applier gave up (stop reading).
  bool push(batch& b) {
    std::unique_lock lock(mutex_);
    room_.wait(lock, [&] { return full_.size() < batches_ahead || abandoned_; });
    if (abandoned_) return false;
    raw_pending_ += b.raw.empty() ? 0 : 1;
    full_.push_back(std::move(b));
    if (!spare_.empty()) {
      b = std::move(spare_.back());
      spare_.pop_back();
    } else {
      b = batch();
      b.decoded.reserve(batch_events);
    }
    lock.unlock();
    ready_.notify_one();
    return true;
  }
  // Reader: whether the applier has work queued (the next batch is decoded here, not handed raw).
  [[nodiscard]] bool applier_has_work() {
    std::lock_guard lock(mutex_);
    return full_.size() >= applier_busy;
  }
  // Reader: false when the applier gave up; returns once every raw batch pushed was consumed.
  bool wait_raw_consumed() {
    std::unique_lock lock(mutex_);
    room_.wait(lock, [&] { return raw_pending_ == 0 || abandoned_; });
    return !abandoned_;
  }
  void finish(boost::system::error_code ec) {
    {
      std::lock_guard lock(mutex_);
      finished_ = true;
      result_ = ec;
    }
    ready_.notify_one();
  }
  // Applier: the next batch, or false once the reader finished and everything was taken. The
  // batch it passes in goes back to the reader for reuse (a raw one must be raw_consumed() first).
  bool pop(batch& b) {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return !full_.empty() || finished_; });
    if (full_.empty()) return false;
    if (b.decoded.capacity() > 0 || b.raw.capacity() > 0) {
      b.decoded.clear();
      b.raw.clear();
      spare_.push_back(std::move(b));
    }
    b = std::move(full_.front());
    full_.pop_front();
    lock.unlock();
    room_.notify_one();
    return true;
  }
  // Applier: done with the raw records of the batch it popped (their views may go).
  void raw_consumed() {
    {
      std::lock_guard lock(mutex_);
      --raw_pending_;
    }
    room_.notify_one();
  }
  void abandon() {
    {
      std::lock_guard lock(mutex_);
      abandoned_ = true;
    }
    room_.notify_all();
  }
  [[nodiscard]] boost::system::error_code result() {
    std::lock_guard lock(mutex_);
    return result_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable room_;  // room in the queue, or every raw batch consumed
  std::deque<batch> full_;
  std::vector<batch> spare_;
  std::size_t raw_pending_ = 0;  // raw batches pushed and not yet consumed
  bool finished_ = false;
  bool abandoned_ = false;
  boost::system::error_code result_;
};

// A CRC-valid record that does not decode, met by either thread: the replay fails (detail names
// it) or, salvaging, the record is skipped and noted.
boost::system::error_code undecodable(std::uint64_t lsn, bool salvage, std::string& detail,
                                      std::vector<std::pair<std::uint64_t, std::string>>& notes) {
  std::string why = "journal record " + std::to_string(lsn) + " has a valid CRC but an undecodable payload";
  if (!salvage) {
    detail = std::move(why);
    return make_error_code(errc::journal_corrupt);
  }
  notes.emplace_back(lsn, std::move(why));
  return {};
}

}  // namespace

boost::system::error_code replay_journal(fs::file_system& files, const std::string& dir,
                                         journal::recovered_journal& journal, bool salvage, const replay_sink& apply,
                                         std::vector<std::string>& notes, std::string& detail, replay_split split,
                                         replay_counts* counts) {
  handoff link;
  // Undecodable records skipped in salvage mode, by LSN (either thread may meet one).
  std::vector<std::pair<std::uint64_t, std::string>> reader_notes;
  std::vector<std::pair<std::uint64_t, std::string>> applier_notes;
  std::string reader_detail;
  std::uint64_t decoded_by_reader = 0;  // the reader's (read after join)
  std::uint64_t decoded_by_applier = 0;
  std::thread reader([&] {
    batch current;
    current.decoded.reserve(batch_events);
    bool raw = false;  // the kind of `current` (chosen when it is started)
    std::uint64_t batches = 0;
    const auto hand_raw = [&] {
      switch (split) {
        case replay_split::reader_decodes:
          return false;
        case replay_split::applier_decodes:
          return true;
        case replay_split::alternate:
          return batches % 2 == 1;
        case replay_split::balanced:
          break;
      }
      return !link.applier_has_work();
    };
    const auto hand_over = [&]() -> boost::system::error_code {
      if (!current.empty() && !link.push(current)) return make_error_code(boost::system::errc::operation_canceled);
      return {};
    };
    const auto visit = [&](std::uint64_t lsn, journal::record_type type,
                           std::string_view payload) -> boost::system::error_code {
      if (current.empty()) {
        raw = hand_raw();
        ++batches;
      }
      if (raw) {
        current.raw.push_back(raw_record{lsn, type, payload});
      } else if (!decode_record(
                     lsn, type, payload,
                     [&](journal::durable_message&& d) {
                       current.decoded.emplace_back(std::piecewise_construct, std::forward_as_tuple(lsn),
                                                    std::forward_as_tuple(std::in_place_index<0>, std::move(d)));
                     },
                     [&](journal::event&& e) {
                       current.decoded.emplace_back(std::piecewise_construct, std::forward_as_tuple(lsn),
                                                    std::forward_as_tuple(std::in_place_index<1>, std::move(e)));
                     })) {
        if (auto ec = undecodable(lsn, salvage, reader_detail, reader_notes)) return ec;
      } else {
        ++decoded_by_reader;
      }
      if (current.size() == batch_events) return hand_over();
      return {};
    };
    // Before the buffer is read over: the views handed out raw must have been consumed.
    const auto segment_done = [&]() -> boost::system::error_code {
      if (auto ec = hand_over()) return ec;
      if (!link.wait_raw_consumed()) return make_error_code(boost::system::errc::operation_canceled);
      return {};
    };
    boost::system::error_code ec;
    try {
      ec = journal::read_journal(files, dir, journal, visit, reader_detail, segment_done);
    } catch (const std::bad_alloc&) {
      reader_detail = "out of memory while reading the journal";
      ec = make_error_code(boost::system::errc::not_enough_memory);
    }
    link.finish(ec);
  });
  boost::system::error_code applier_error;
  std::string applier_detail;
  try {
    batch b;
    while (link.pop(b)) {
      for (auto& [lsn, r] : b.decoded) {
        if (r.index() == 0) {
          apply.enqueue(lsn, std::get<0>(std::move(r)));
        } else {
          apply.other(lsn, std::get<1>(std::move(r)));
        }
      }
      if (b.raw.empty()) continue;
      for (const auto& r : b.raw) {
        const bool decoded = decode_record(
            r.lsn, r.type, r.payload, [&](journal::durable_message&& d) { apply.enqueue(r.lsn, std::move(d)); },
            [&](journal::event&& e) { apply.other(r.lsn, std::move(e)); });
        if (decoded) {
          ++decoded_by_applier;
          continue;
        }
        applier_error = undecodable(r.lsn, salvage, applier_detail, applier_notes);
        if (applier_error) break;
      }
      link.raw_consumed();
      if (applier_error) {
        link.abandon();
        break;
      }
    }
  } catch (...) {
    link.abandon();
    reader.join();
    throw;
  }
  reader.join();
  if (counts) *counts = replay_counts{decoded_by_reader, decoded_by_applier};
  if (applier_error) {
    detail = applier_detail;
    return applier_error;
  }
  reader_notes.insert(reader_notes.end(), applier_notes.begin(), applier_notes.end());
  std::sort(reader_notes.begin(), reader_notes.end());
  for (auto& [lsn, note] : reader_notes) notes.push_back(std::move(note));
  if (auto ec = link.result()) {
    detail = reader_detail;
    return ec;
  }
  return {};
}

}  // namespace sluice::persist
