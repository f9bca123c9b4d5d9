// engine::async_flush (see flush_request.hpp).
#include "sluice/detail/flush_request.hpp"

#include "sluice/detail/engine_core.hpp"
#include "sluice/error.hpp"
#include "sluice/persist/durable_store.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

namespace sluice::detail {

void start_flush(engine_core& core, flush_handler handler) {
  auto* store = core.store();
  if (store == nullptr) {
    const auto ec = core.running() || !core.options().persistence.enabled() ? boost::system::error_code{}
                                                                            : make_error_code(errc::not_running);
    boost::asio::post(core.executor(), boost::asio::append(std::move(handler), ec));
    return;
  }
  // An empty submission completes after every batch before it: a barrier in LSN order.
  store->submit({}, [h = std::move(handler)](boost::system::error_code ec, std::uint64_t) mutable {
    boost::asio::dispatch(boost::asio::append(std::move(h), ec));
  });
}

}  // namespace sluice::detail
