// Options and results of dead-letter operations (engine::replay_dead_letter and friends).
#pragma once

#include "sluice/message/dead_letter.hpp"

#include <cstddef>
#include <cstdint>

namespace sluice {

enum class replay_attempts : std::uint8_t {
  keep,   // the message keeps its attempt count: one more failure dead-letters it again
  reset,  // the message starts over with a full retry budget
};

enum class replay_quarantined : std::uint8_t {
  skip,   // letters replayed max_replays times stay put (errc::quarantined)
  force,  // replay them anyway
};

struct replay_options {
  replay_attempts attempts = replay_attempts::keep;
  replay_quarantined quarantined = replay_quarantined::skip;
};

struct replay_report {
  std::size_t replayed = 0;
  std::size_t quarantined = 0;  // matched but left in the dead-letter queue
};

}  // namespace sluice
