// The sluice error category (see error.hpp).
#include "sluice/error.hpp"

#include <string>

namespace sluice {
namespace {

class category final : public boost::system::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "sluice"; }

  [[nodiscard]] std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::queue_full:
        return "queue is full";
      case errc::payload_too_large:
        return "payload exceeds the configured size limit";
      case errc::duplicate_rejected:
        return "a message with this deduplication key already exists";
      case errc::not_found:
        return "no such message";
      case errc::shutting_down:
        return "engine is shutting down";
      case errc::disk_full:
        return "no space left on the journal device";
      case errc::io_error:
        return "I/O error while persisting";
      case errc::journal_corrupt:
        return "journal is corrupt";
      case errc::unknown_queue:
        return "no queue with this name";
      case errc::unknown_message_type:
        return "no handler registered for this message type";
      case errc::invalid_argument:
        return "invalid argument";
      case errc::lease_lost:
        return "lease lost: a newer delivery owns this message";
      case errc::not_running:
        return "engine is not running";
      case errc::already_exists:
        return "already registered";
      case errc::quarantined:
        return "dead letter is quarantined after too many replays (force to replay it)";
      case errc::directory_locked:
        return "the data directory is locked by another process or engine";
      case errc::snapshot_corrupt:
        return "a snapshot database failed its integrity checks";
      default:
        return "unknown sluice error " + std::to_string(value);
    }
  }
};

}  // namespace

const boost::system::error_category& error_category() noexcept {
  static const category instance;
  return instance;
}

}  // namespace sluice
