// Default log sink (see log.hpp).
#include "sluice/log.hpp"

#include <cstdio>

namespace sluice {

void stderr_log_sink(log_level level, std::string_view line) {
  if (level < log_level::warn) return;
  std::fprintf(stderr, "sluice %s: %.*s\n", level == log_level::warn ? "warning" : "error",
               static_cast<int>(line.size()), line.data());
}

}  // namespace sluice
