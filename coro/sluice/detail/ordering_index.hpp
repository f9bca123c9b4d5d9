// FIFO per ordering key: messages of one queue with the same key run one at a time, in enqueue
// order; different keys run in parallel (like Service Bus sessions). The first message of a key
// is published; later ones are held here until it settles (acknowledged or dead-lettered), then
// the next one is published. A retrying or snoozed message keeps its key busy, so later messages
// with that key wait for it (a poison message holds its key until it is dead-lettered).
// Held messages keep the admission reservation they were given, so capacity bounds them.
// Thread-safety: every member locks; safe from any thread.
#pragma once

#include "sluice/message/message.hpp"

#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace sluice::detail {

class ordering_index {
 public:
  ordering_index() = default;
  ~ordering_index();  // frees held messages

  // m->ordering_key is set. Returns m back when it may be published now (it becomes its key's
  // active message, or already is: a retry); otherwise the index holds it and returns nullptr.
  [[nodiscard]] std::unique_ptr<message> admit_or_hold(std::unique_ptr<message> m);
  // m (its key's active message) settled or was dropped: returns the key's next message to
  // publish, if any.
  [[nodiscard]] std::unique_ptr<message> on_settled(const message& m) noexcept;

  [[nodiscard]] std::size_t held() const;
  [[nodiscard]] std::size_t keys() const;

 private:
  struct entry {
    message_id active;
    std::deque<std::unique_ptr<message>> waiting;
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::string, entry> keys_;
  std::size_t held_ = 0;
};

}  // namespace sluice::detail
