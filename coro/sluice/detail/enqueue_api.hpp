// The enqueue overloads engine and context share: typed and raw, with and without options, and
// the forms with temporaries, which g++ 12 rejects at compile time (coawait_temporaries.hpp).
// Derived provides enqueue_typed(queue, value, options, token) and enqueue_raw(queue, type,
// payload, options, token), which prepare the message at once (every argument is copied before
// the call returns, whatever the token) and start the enqueue.
// Thread-safety: as Derived's enqueue (engine: any thread; context: its handler's).
#pragma once

#include "sluice/codec.hpp"
#include "sluice/detail/coawait_temporaries.hpp"
#include "sluice/options.hpp"

#include <string_view>
#include <utility>

namespace sluice::detail {

template <class Derived>
class enqueue_api {
 public:
  // Completion signature: void(error_code, message_id).
  template <typed_message T, class Token>
  auto async_enqueue(std::string_view queue, const T& value, const enqueue_options& options, Token&& token) {
    return self().enqueue_typed(queue, value, enqueue_options(options), std::forward<Token>(token));
  }
  template <typed_message T, class Token>
  auto async_enqueue(std::string_view queue, const T& value, Token&& token) {
    return self().enqueue_typed(queue, value, enqueue_options{}, std::forward<Token>(token));
  }
  template <class Token>
  auto async_enqueue_raw(std::string_view queue, std::string_view type, std::string_view payload,
                         const enqueue_options& options, Token&& token) {
    return self().enqueue_raw(queue, type, payload, enqueue_options(options), std::forward<Token>(token));
  }

  // Temporaries: taken (options moved) by other compilers, a compile error with g++ 12.
  template <typed_message T, class Token>
  auto async_enqueue(std::string_view queue, const T& value, enqueue_options&& options, Token&& token) {
    detail::reject_coawait_temporary<Token>();
    return self().enqueue_typed(queue, value, std::move(options), std::forward<Token>(token));
  }
  template <typed_message T, class Token>
  requires detail::coawait_hazard<T>
  auto async_enqueue(std::string_view queue, T&& value, const enqueue_options& options, Token&& token) {
    detail::reject_coawait_temporary<Token>();
    return self().enqueue_typed(queue, value, enqueue_options(options), std::forward<Token>(token));
  }
  template <typed_message T, class Token>
  requires detail::coawait_hazard<T>
  auto async_enqueue(std::string_view queue, T&& value, enqueue_options&& options, Token&& token) {
    detail::reject_coawait_temporary<Token>();
    return self().enqueue_typed(queue, value, std::move(options), std::forward<Token>(token));
  }
  template <typed_message T, class Token>
  requires detail::coawait_hazard<T>
  auto async_enqueue(std::string_view queue, T&& value, Token&& token) {
    detail::reject_coawait_temporary<Token>();
    return self().enqueue_typed(queue, value, enqueue_options{}, std::forward<Token>(token));
  }
  template <class Token>
  auto async_enqueue_raw(std::string_view queue, std::string_view type, std::string_view payload,
                         enqueue_options&& options, Token&& token) {
    detail::reject_coawait_temporary<Token>();
    return self().enqueue_raw(queue, type, payload, std::move(options), std::forward<Token>(token));
  }
  template <class P, class Token>
  requires detail::string_temporary<P>
  auto async_enqueue_raw(std::string_view queue, std::string_view type, P&& payload, const enqueue_options& options,
                         Token&& token) {
    detail::reject_coawait_temporary<Token>();
    return self().enqueue_raw(queue, type, payload, enqueue_options(options), std::forward<Token>(token));
  }
  template <class P, class Token>
  requires detail::string_temporary<P>
  auto async_enqueue_raw(std::string_view queue, std::string_view type, P&& payload, enqueue_options&& options,
                         Token&& token) {
    detail::reject_coawait_temporary<Token>();
    return self().enqueue_raw(queue, type, payload, std::move(options), std::forward<Token>(token));
  }

 private:
  Derived& self() noexcept { return static_cast<Derived&>(*this); }
};

}  // namespace sluice::detail
