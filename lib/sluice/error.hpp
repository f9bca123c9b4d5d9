// The sluice error category: every expected failure of the engine is an error_code from it.
// Values start at 1 (0 is success) and are stable: they may be persisted and sent over the wire.
// Thread-safety: the category is a function-local static; all functions are safe from any thread.
#pragma once

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace sluice {

enum class errc {
  queue_full = 1,        // capacity reached and the enqueue asked to fail rather than wait
  payload_too_large,     // payload above engine_options::max_payload_bytes
  duplicate_rejected,    // dedup key already present and the mode is reject
  not_found,             // no such message (or dead letter)
  shutting_down,         // the engine is stopping or stopped and refuses new work
  disk_full,             // ENOSPC while persisting
  io_error,              // EIO or another I/O failure while persisting
  journal_corrupt,       // the journal failed a CRC, LSN or header check before its tail
  unknown_queue,         // no queue with that name is declared
  unknown_message_type,  // the queue has no handler for that message type
  invalid_argument,      // a malformed argument (empty name, worker count out of range, ...)
  lease_lost,            // an ack, failure or extension came from a stale lease epoch
  not_running,           // the operation needs a started engine
  already_exists,        // a queue or handler with that name is already registered
  quarantined,           // a dead letter replayed max_replays times; replay it with force
  directory_locked,      // another process or engine holds the data directory
  snapshot_corrupt,      // a snapshot database failed its row CRCs, count, checksum or header
};

[[nodiscard]] const boost::system::error_category& error_category() noexcept;

[[nodiscard]] inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace sluice

template <>
struct boost::system::is_error_code_enum<sluice::errc> : std::true_type {};
