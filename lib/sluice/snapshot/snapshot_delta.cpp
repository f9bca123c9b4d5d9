// Changes since a snapshot (see snapshot_delta.hpp).
#include "sluice/snapshot/snapshot_delta.hpp"

#include "sluice/error.hpp"

#include <algorithm>

namespace sluice::snapshot {

void snapshot_delta::apply_enqueue(std::uint64_t lsn, const std::shared_ptr<journal::durable_message>& row) {
  if (lsn <= last_) return;
  last_ = lsn;
  entry& n = entries_[row->m->id];
  n.fresh = true;
  n.erased = false;
  n.later.clear();
  n.row = row;
}

void snapshot_delta::apply_enqueue_at(const message_id& id, const journal::record_locator& where) {
  if (where.lsn <= last_) return;
  last_ = where.lsn;
  entry& n = entries_[id];
  n.fresh = true;
  n.erased = false;
  n.where = where;
  n.later.clear();
  n.row.reset();
}

void snapshot_delta::apply(std::uint64_t lsn, const journal::event& e) {
  if (lsn <= last_) return;
  if (const auto* enq = std::get_if<journal::enqueue_event>(&e)) {
    apply_enqueue(lsn, std::make_shared<journal::durable_message>(journal::enqueued(lsn, *enq)));
    return;
  }
  last_ = lsn;
  const message_id& id = journal::event_id(e);
  const bool ends = std::holds_alternative<journal::ack_event>(e) || std::holds_alternative<journal::purge_event>(e);
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    entry& n = entries_[id];
    if (ends) {
      n.erased = true;
    } else {
      n.later.emplace_back(lsn, e);
    }
    return;
  }
  entry& n = it->second;
  if (n.erased) return;  // an event after the end: the database has nothing to change
  if (ends) {
    if (n.fresh && !n.maybe_stored) {
      entries_.erase(it);  // enqueued and finished between two snapshots: never written
    } else {
      n.erased = true;
      n.later.clear();
      n.row.reset();
    }
    return;
  }
  if (n.fresh && n.row) {
    if (n.row->last_lsn < lsn) journal::apply_to(*n.row, lsn, e);  // else the other delta applied it
  } else {
    n.later.emplace_back(lsn, e);
  }
}

error_code snapshot_delta::write_to(snapshot_db& db, journal::record_reader& journal, write_counts& counts,
                                    std::string& detail) const {
  // In id order: ids grow with time, so rows go in near the end of the index, page after page.
  std::vector<const std::pair<const message_id, entry>*> order;
  order.reserve(entries_.size());
  for (const auto& kv : entries_) order.push_back(&kv);
  std::sort(order.begin(), order.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
  for (const auto* kv : order) {
    const message_id& id = kv->first;
    const entry& n = kv->second;
    if (n.erased) {
      if (auto ec = db.erase(id)) return ec;
      ++counts.erased;
      continue;
    }
    if (n.fresh && n.row) {
      if (auto ec = db.put(*n.row)) return ec;
      ++counts.written;
      continue;
    }
    // The row the later events apply to: read back from the journal (an enqueue left there) or
    // stored in the database.
    journal::durable_message row;
    if (n.fresh) {
      auto enqueued = journal.enqueued(n.where, detail);
      if (!enqueued) return enqueued.error();
      row = std::move(*enqueued);
    } else {
      auto stored = db.find(id);
      if (!stored) return stored.error();
      if (!*stored) {
        ++counts.contradictions;  // the journal names a message the snapshot never held
        continue;
      }
      row = std::move(**stored);
    }
    for (const auto& [lsn, ev] : n.later) {
      if (lsn > row.last_lsn) journal::apply_to(row, lsn, ev);
    }
    if (auto ec = db.put(row)) return ec;
    ++counts.written;
  }
  return {};
}

void snapshot_delta::committed() {
  entries_.clear();
  covered_ = last_;
}

void snapshot_delta::failed() {
  for (auto& [id, n] : entries_) n.maybe_stored = true;
}

}  // namespace sluice::snapshot
