// Which failures a handler retries (handler_options::retry_if). By default every exception is
// retried (up to max_retries) except sluice::permanent_error and a message that does not decode,
// which go to the dead-letter queue at once. A filter narrows that the way MassTransit's
// Handle<T>/Ignore<T> and Polly's policies do:
//
//   h.retry_if = sluice::retry_except<std::invalid_argument, std::domain_error>();  // these: dead-lettered at once
//   h.retry_if = sluice::retry_only<net::timeout, std::system_error>();             // the rest: dead-lettered at once
//   h.retry_if = [](const std::exception& e) { return !is_validation(e); };         // any predicate
//
// A type matches its derived types too (dynamic_cast). The filter sees std::exception only: an
// exception of another type is always retried. It runs on the worker inside the catch clause,
// once per failure; it should be cheap and must not throw (if it does, the failure is retried).
// A failure the filter refuses is dead-lettered as a permanent failure with its own type and text,
// on its first attempt as on any other.
// Thread-safety: the filter is copied into the handler and called from its workers, possibly at
// the same time on several threads: it must not change shared state.
#pragma once

#include <exception>
#include <functional>

namespace sluice {

using retry_filter = std::function<bool(const std::exception&)>;

// Retries exceptions of these types (and types derived from them); dead-letters every other one.
template <class... Retried>
[[nodiscard]] retry_filter retry_only() {
  static_assert(sizeof...(Retried) > 0, "retry_only needs at least one exception type");
  return [](const std::exception& e) { return ((dynamic_cast<const Retried*>(&e) != nullptr) || ...); };
}

// Dead-letters exceptions of these types (and types derived from them) at once; retries the rest.
template <class... Permanent>
[[nodiscard]] retry_filter retry_except() {
  static_assert(sizeof...(Permanent) > 0, "retry_except needs at least one exception type");
  return [](const std::exception& e) { return !((dynamic_cast<const Permanent*>(&e) != nullptr) || ...); };
}

}  // namespace sluice
