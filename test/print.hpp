// How Boost.Test prints sluice values in failed assertions (found by ADL).
#pragma once

#include "sluice/error.hpp"
#include "sluice/message/message_id.hpp"

#include <ostream>

namespace sluice {

inline std::ostream& boost_test_print_type(std::ostream& os, errc e) {
  return os << "sluice::errc(" << static_cast<int>(e) << ": " << make_error_code(e).message() << ")";
}

inline std::ostream& boost_test_print_type(std::ostream& os, const message_id& id) { return os << id.to_string(); }

}  // namespace sluice
