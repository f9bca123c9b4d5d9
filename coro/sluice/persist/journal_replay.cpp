// Pass two of recovery on two threads (see journal_replay.hpp).
#include "sluice/persist/journal_replay.hpp"

#include "sluice/error.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <new>
#include <thread>
#include <utility>

namespace sluice::persist {

namespace {

using record = std::pair<std::uint64_t, std::variant<journal::durable_message, journal::event>>;
using batch = std::vector<record>;

constexpr std::size_t batch_events = 1024;
constexpr std::size_t batches_ahead = 4;

// Batches from the reader to the applier, and emptied ones back for reuse.
class handoff {
 public:
  // Reader: false when the applier gave up (stop reading).
  bool push(batch& b) {
    std::unique_lock lock(mutex_);
    room_.wait(lock, [&] { return full_.size() < batches_ahead || abandoned_; });
    if (abandoned_) return false;
    full_.push_back(std::move(b));
    if (!spare_.empty()) {
      b = std::move(spare_.back());
      spare_.pop_back();
    } else {
      b = batch();
      b.reserve(batch_events);
    }
    lock.unlock();
    ready_.notify_one();
    return true;
  }
  void finish(boost::system::error_code ec) {
    {
      std::lock_guard lock(mutex_);
      finished_ = true;
      result_ = ec;
    }
    ready_.notify_one();
  }
  // Applier: the next batch, or false once the reader finished and everything was taken.
  bool pop(batch& b) {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return !full_.empty() || finished_; });
    if (full_.empty()) return false;
    if (b.capacity() > 0) {
      b.clear();
      spare_.push_back(std::move(b));
    }
    b = std::move(full_.front());
    full_.pop_front();
    lock.unlock();
    room_.notify_one();
    return true;
  }
  void abandon() {
    {
      std::lock_guard lock(mutex_);
      abandoned_ = true;
    }
    room_.notify_one();
  }
  [[nodiscard]] boost::system::error_code result() {
    std::lock_guard lock(mutex_);
    return result_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable room_;
  std::deque<batch> full_;
  std::vector<batch> spare_;
  bool finished_ = false;
  bool abandoned_ = false;
  boost::system::error_code result_;
};

}  // namespace

boost::system::error_code replay_journal(fs::file_system& files, const std::string& dir,
                                         journal::recovered_journal& journal, bool salvage, const replay_sink& apply,
                                         std::vector<std::string>& notes, std::string& detail) {
  handoff link;
  std::vector<std::string> reader_notes;
  std::string reader_detail;
  std::thread reader([&] {
    batch current;
    current.reserve(batch_events);
    const auto decode = [&](std::uint64_t lsn, journal::record_type type,
                            std::string_view payload) -> boost::system::error_code {
      const auto undecodable = [&]() -> boost::system::error_code {
        std::string why = "journal record " + std::to_string(lsn) + " has a valid CRC but an undecodable payload";
        if (!salvage) {
          reader_detail = std::move(why);
          return make_error_code(errc::journal_corrupt);
        }
        reader_notes.push_back(std::move(why));
        return {};
      };
      if (type == journal::record_type::enqueue) {
        journal::durable_message d;  // its heap message is the one the engine keeps
        if (!journal::decode_enqueue(payload, d.queue, *d.m)) return undecodable();
        journal::place_enqueued(d, lsn);
        current.emplace_back(std::piecewise_construct, std::forward_as_tuple(lsn),
                             std::forward_as_tuple(std::in_place_index<0>, std::move(d)));
      } else {
        auto e = journal::decode_event(type, payload);
        if (!e) return undecodable();
        current.emplace_back(std::piecewise_construct, std::forward_as_tuple(lsn),
                             std::forward_as_tuple(std::in_place_index<1>, std::move(*e)));
      }
      if (current.size() == batch_events && !link.push(current)) {
        return make_error_code(boost::system::errc::operation_canceled);
      }
      return {};
    };
    boost::system::error_code ec;
    try {
      ec = journal::read_journal(files, dir, journal, decode, reader_detail);
      if (!ec && !current.empty() && !link.push(current)) ec = make_error_code(boost::system::errc::operation_canceled);
    } catch (const std::bad_alloc&) {
      reader_detail = "out of memory while reading the journal";
      ec = make_error_code(boost::system::errc::not_enough_memory);
    }
    link.finish(ec);
  });
  try {
    batch b;
    while (link.pop(b)) {
      for (auto& [lsn, r] : b) {
        if (r.index() == 0) {
          apply.enqueue(lsn, std::get<0>(std::move(r)));
        } else {
          apply.other(lsn, std::get<1>(std::move(r)));
        }
      }
    }
  } catch (...) {
    link.abandon();
    reader.join();
    throw;
  }
  reader.join();
  notes.insert(notes.end(), reader_notes.begin(), reader_notes.end());
  if (auto ec = link.result()) {
    detail = reader_detail;
    return ec;
  }
  return {};
}

}  // namespace sluice::persist
