// A queue's deduplication keys and the rules of docs/api.md ("Deduplication"):
//   reject                  any live key -> duplicate_rejected
//   replace_pending         pending -> the pending message gets the new payload, keeps its id and
//                           place; in flight -> the new message is enqueued and becomes the
//                           key's pending one (a retry of the in-flight one is then superseded)
//   coalesce_after_inflight pending -> replaced as above; in flight -> exactly one follow-up is
//                           held back, its payload replaced by every later enqueue, and released
//                           when the in-flight message settles
// A key is released when its message is acknowledged or dead-lettered; with a window it is kept
// that long, and enqueues with it are rejected as duplicates meanwhile.
// Pending messages are only read by a worker after on_take() under the same mutex, so a
// replacement is seen whole or not at all.
// Thread-safety: every member locks; safe from any thread.
#pragma once

#include "sluice/dedup_key_state.hpp"
#include "sluice/message/message.hpp"
#include "sluice/options.hpp"

#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace sluice::detail {

class dedup_index {
 public:
  explicit dedup_index(std::chrono::milliseconds window) noexcept : window_(window) {}
  ~dedup_index();  // frees held follow-ups

  enum class verdict : std::uint8_t {
    proceed,   // a new message for the key: enqueue it (call forget() if that then fails)
    rejected,  // duplicate_rejected
    replaced,  // the pending message took the payload: complete with `existing`
    held,      // kept as the in-flight message's follow-up (owned by the index now)
  };
  struct enqueue_result {
    verdict what = verdict::proceed;
    message_id existing;  // for replaced
  };

  // m->dedup_key is set. On `held` the index takes m; otherwise the caller keeps it.
  [[nodiscard]] enqueue_result on_enqueue(std::unique_ptr<message>& m, dedup_mode mode, sys_time now);
  // Recovery: m (recovered, about to be queued again) is its key's pending message. Called in
  // recovery order, so the newest recovered message for a key ends up holding it.
  void restore(message& m);
  // The enqueue of a `proceed` message failed (queue full): the key forgets it.
  void forget(const message& m) noexcept;
  // A worker took m and is about to read it.
  void on_take(const message& m) noexcept;
  // m will run again later (retry, snooze). A newer message for the key (a pending successor, or a
  // held follow-up, which is then released) supersedes it: the caller drops m and publishes
  // `release` if set.
  struct requeue_result {
    bool superseded = false;
    std::unique_ptr<message> release;
  };
  [[nodiscard]] requeue_result on_requeue(message& m) noexcept;
  // m was acknowledged or dead-lettered. Returns a held follow-up to publish, if any.
  [[nodiscard]] std::unique_ptr<message> on_settled(const message& m, sys_time now) noexcept;

  [[nodiscard]] std::optional<dedup_key_state> inspect(const std::string& key, sys_time now) const;
  [[nodiscard]] std::size_t size() const;
  [[nodiscard]] std::uint64_t replaced() const;
  [[nodiscard]] std::uint64_t rejected() const;

 private:
  struct entry {
    message* pending = nullptr;  // not yet taken by a worker; owned by the queue's structures
    message_id pending_id;
    message_id in_flight;                // empty when none
    std::unique_ptr<message> follow_up;  // coalesce_after_inflight: held back, owned here
    sys_time retained_until{};           // set when released with a window
  };

  void expire_locked(sys_time now);

  const std::chrono::milliseconds window_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, entry> keys_;
  std::deque<std::pair<sys_time, std::string>> retained_;  // expiry order
  std::uint64_t replaced_ = 0;
  std::uint64_t rejected_ = 0;
};

}  // namespace sluice::detail
