// engine::async_snapshot (see snapshot_request.hpp).
#include "sluice/detail/snapshot_request.hpp"

#include "sluice/detail/engine_core.hpp"
#include "sluice/error.hpp"
#include "sluice/persist/durable_store.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/post.hpp>

namespace sluice::detail {

void start_snapshot(engine_core& core, snapshot_handler handler) {
  auto fail = [&](errc e) {
    boost::asio::post(core.executor(), boost::asio::append(std::move(handler), make_error_code(e), snapshot_report{}));
  };
  if (!core.running()) return fail(errc::not_running);
  auto* store = core.store();
  if (store == nullptr || !core.options().persistence.snapshots) return fail(errc::invalid_argument);
  store->snapshot(std::move(handler));
}

}  // namespace sluice::detail
