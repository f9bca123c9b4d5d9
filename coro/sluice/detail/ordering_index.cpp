// FIFO per ordering key (see ordering_index.hpp).
#include "sluice/detail/ordering_index.hpp"

namespace sluice::detail {

ordering_index::~ordering_index() = default;

std::unique_ptr<message> ordering_index::admit_or_hold(std::unique_ptr<message> m) {
  std::lock_guard lock(mutex_);
  auto [it, fresh] = keys_.try_emplace(m->ordering_key);
  entry& e = it->second;
  if (fresh || e.active.empty()) {
    e.active = m->id;
    return m;
  }
  if (e.active == m->id) return m;  // the active message itself coming back (retry, snooze)
  e.waiting.push_back(std::move(m));
  ++held_;
  return nullptr;
}

std::unique_ptr<message> ordering_index::on_settled(const message& m) noexcept {
  std::lock_guard lock(mutex_);
  const auto it = keys_.find(m.ordering_key);
  if (it == keys_.end() || it->second.active != m.id) return nullptr;
  entry& e = it->second;
  if (e.waiting.empty()) {
    keys_.erase(it);
    return nullptr;
  }
  std::unique_ptr<message> next = std::move(e.waiting.front());
  e.waiting.pop_front();
  --held_;
  e.active = next->id;
  return next;
}

std::size_t ordering_index::held() const {
  std::lock_guard lock(mutex_);
  return held_;
}

std::size_t ordering_index::keys() const {
  std::lock_guard lock(mutex_);
  return keys_.size();
}

}  // namespace sluice::detail
