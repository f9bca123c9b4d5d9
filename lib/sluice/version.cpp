// The linked library's version (see version.hpp.in).
#include "sluice/version.hpp"

#include "sluice/journal/checkout_ledger.hpp"
#include "sluice/journal/format.hpp"
#include "sluice/snapshot/snapshot_db.hpp"

namespace sluice {

version_info version() noexcept {
  return {SLUICE_VERSION_MAJOR,
          SLUICE_VERSION_MINOR,
          SLUICE_VERSION_PATCH,
          SLUICE_VERSION_STRING,
          journal::format_version,
          journal::oldest_format_version,
          snapshot::snapshot_format_version,
          journal::checkout_ledger::format_version};
}

}  // namespace sluice
