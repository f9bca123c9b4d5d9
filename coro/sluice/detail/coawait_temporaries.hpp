// The g++ 12 trap, caught at compile time. g++ 12 destroys a temporary with a non-trivial
// destructor twice when it lives in a co_await expression (a double free: ASan reports it; clang
// and the same code outside a coroutine are fine), e.g.
//   co_await eng.async_enqueue("orders", order{1, "book"}, asio::use_awaitable);        // message
//   co_await eng.async_enqueue("orders", o, {.dedup_key = "k"}, asio::use_awaitable);   // options
//   co_await eng.async_enqueue_raw("orders", "t", make_payload(), o, asio::use_awaitable);
// The engine cannot see whether a call is co_awaited, so with g++ 12 (and older) every such
// temporary passed to async_enqueue / async_enqueue_raw is a compile error with this header's
// message, and the fix is a local: `const order o{1, "book"}; co_await eng.async_enqueue(...)`.
// Other compilers take temporaries as usual (clang is correct; g++ 13 and later are not checked
// here: Debian 12 has none). Define SLUICE_ALLOW_COAWAIT_TEMPORARIES to take them with g++ 12 too
// (code that never co_awaits these calls), or SLUICE_REJECT_COAWAIT_TEMPORARIES=1 to reject them
// with any compiler. docs/api.md, "Compiler note".
// Thread-safety: compile time only.
#pragma once

#include <string>
#include <type_traits>

#ifndef SLUICE_REJECT_COAWAIT_TEMPORARIES
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ <= 12 && !defined(SLUICE_ALLOW_COAWAIT_TEMPORARIES)
#define SLUICE_REJECT_COAWAIT_TEMPORARIES 1
#else
#define SLUICE_REJECT_COAWAIT_TEMPORARIES 0
#endif
#endif

namespace sluice::detail {

// An argument g++ 12 would destroy twice: a temporary (T deduced from T&& is not a reference)
// whose type owns resources.
template <class T>
concept coawait_hazard = !std::is_reference_v<T> && !std::is_trivially_destructible_v<T>;

// A payload given as a std::string temporary (a literal or a string_view is no hazard).
template <class P>
concept string_temporary = std::is_same_v<P, std::string>;

template <class>
inline constexpr bool dependent_false = false;

// Called by the overloads that take a temporary; Dependent keeps the assertion from firing until
// such an overload is used.
template <class Dependent>
constexpr void reject_coawait_temporary() {
  static_assert(!SLUICE_REJECT_COAWAIT_TEMPORARIES || dependent_false<Dependent>,
                "sluice: g++ 12 destroys a temporary inside a co_await expression twice. Pass the message, "
                "the enqueue_options and the payload of async_enqueue / async_enqueue_raw as local variables "
                "(const order o{...}; co_await eng.async_enqueue(\"orders\", o, asio::use_awaitable);), build "
                "with clang, or define SLUICE_ALLOW_COAWAIT_TEMPORARIES if these calls are never "
                "co_awaited. See docs/api.md, \"Compiler note\".");
}

}  // namespace sluice::detail
