// Handler failures that retrying cannot fix. Throw sluice::permanent_error (or anything after
// ctx.mark_permanent_failure()) and the message goes to the dead-letter queue at once instead of
// being retried, as for validation errors. sluice::decode_error counts as permanent too.
#pragma once

#include <stdexcept>

namespace sluice {

class permanent_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace sluice
