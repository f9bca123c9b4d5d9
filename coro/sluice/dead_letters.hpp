// Options and results of dead-letter operations (engine::replay_dead_letter and friends).
#pragma once

#include "sluice/message/dead_letter.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>

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
  bool dry_run = false;  // report what would be replayed; change nothing
};

struct replay_report {
  std::size_t replayed = 0;     // replayed (or, in a dry run, that would be)
  std::size_t quarantined = 0;  // matched but left in the dead-letter queue
  std::size_t batches = 0;
  bool dry_run = false;
};

// engine::async_replay_dead_letters: a replay in batches, pausing between them so a large replay
// does not flood the queue. Letters dead-lettered after the replay started are left alone (a
// replayed message that fails again is not replayed twice by the same run).
struct replay_batch_options {
  replay_options replay{};
  std::size_t batch_size = 100;                        // letters per batch (0 = one batch)
  std::chrono::milliseconds delay_between_batches{0};  // on the engine's clock
  std::size_t limit = SIZE_MAX;                        // letters at most
  // Called on the engine's executor after each batch with the running totals (progress bars).
  std::function<void(const replay_report&)> progress;
};

}  // namespace sluice
