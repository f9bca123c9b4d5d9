// What a failed delivery leaves behind: the exception's type and text, and when it happened.
// Recorded for operators (stats, later the dead-letter queue); never contains the payload.
#pragma once

#include "sluice/message/message_id.hpp"
#include "sluice/time/clock.hpp"

#include <cstdint>
#include <string>

namespace sluice {

struct failure {
  std::string error_type;  // demangled exception type, e.g. "std::runtime_error"
  std::string what;        // the exception's message
};

struct failure_record {
  message_id id;
  std::string message_type;
  std::uint32_t attempt = 0;
  failure cause;
  sys_time at{};
};

}  // namespace sluice
