// Typed messages: a C++ type maps to JSON through Boost.JSON's value_from / value_to
// (tag_invoke) and carries a stable type name that survives renames of the C++ type.
// Declare the name with a static member `static constexpr std::string_view message_type = "...";`
// or specialise sluice::message_traits<T>.
#pragma once

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <stdexcept>
#include <string>
#include <string_view>

namespace sluice {

template <class T>
struct message_traits {
  static constexpr std::string_view type_name() noexcept { return T::message_type; }
};

template <class T>
concept typed_message = requires {
  { message_traits<T>::type_name() } -> std::convertible_to<std::string_view>;
};

// Thrown into the handler's failure path when a payload does not decode as the handler's type.
// Retrying cannot fix it, so the retry policy treats it as permanent.
class decode_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <typed_message T>
[[nodiscard]] std::string encode(const T& value) {
  return boost::json::serialize(boost::json::value_from(value));
}

template <typed_message T>
[[nodiscard]] T decode(std::string_view payload) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(payload, ec);
  if (ec)
    throw decode_error("payload of " + std::string(message_traits<T>::type_name()) + " is not JSON: " + ec.message());
  try {
    return boost::json::value_to<T>(v);
  } catch (const std::exception& e) {
    throw decode_error("payload does not convert to " + std::string(message_traits<T>::type_name()) + ": " + e.what());
  }
}

}  // namespace sluice
