// Batched dead-letter replay (see batched_replay.hpp).
#include "sluice/detail/batched_replay.hpp"

#include "sluice/detail/engine_core.hpp"
#include "sluice/error.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace sluice::detail {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

struct replay_outcome {
  error_code ec;
  replay_report report;
};

// Parameters by value: the coroutine outlives its caller's frame.
asio::awaitable<replay_outcome> run_replay(engine_core& core, asio::any_io_executor strand, dead_letter_filter filter,
                                           replay_batch_options options) {
  replay_outcome out;
  if (core.refuses(/*has_parent=*/false)) {
    out.ec = make_error_code(errc::shutting_down);
    co_return out;
  }
  const auto marks = core.dead_letter_marks();
  out.report = core.count_replay(filter, options.replay, marks);
  out.report.replayed = std::min(out.report.replayed, options.limit);
  if (options.replay.dry_run) co_return out;
  const std::size_t planned = out.report.replayed;
  out.report.replayed = 0;
  const std::size_t batch = options.batch_size == 0 ? SIZE_MAX : options.batch_size;
  auto pause = std::make_shared<alarm>(strand, core.clock());
  core.add_replay_alarm(pause, strand);
  while (out.report.replayed < planned) {
    if (out.report.batches > 0 && options.delay_between_batches.count() > 0) {
      auto [ec] = co_await pause->async_wait_until(core.clock().now() + options.delay_between_batches,
                                                   asio::as_tuple(asio::use_awaitable));
      (void)ec;  // due, or cut short by stop(): the state check below decides
    }
    if (core.refuses(/*has_parent=*/false)) {
      out.ec = make_error_code(errc::shutting_down);
      break;
    }
    const std::size_t n =
        core.replay_some(filter, options.replay, marks, std::min(batch, planned - out.report.replayed));
    if (n == 0) break;  // purged, evicted or replayed by someone else meanwhile
    out.report.replayed += n;
    ++out.report.batches;
    if (options.progress) {
      try {
        options.progress(out.report);
      } catch (...) {
        core.log(log_level::warn, "a replay progress callback threw; ignored");
      }
    }
  }
  core.remove_replay_alarm(pause);
  co_return out;
}

}  // namespace

void start_batched_replay(engine_core& core, dead_letter_filter filter, replay_batch_options options,
                          replay_handler handler) {
  auto strand = asio::make_strand(core.executor());
  const asio::any_io_executor ex = strand;
  core.worker_started();  // stop waits for the replay
  asio::co_spawn(ex, run_replay(core, ex, std::move(filter), std::move(options)),
                 [&core, handler = std::move(handler)](const std::exception_ptr& e, replay_outcome out) mutable {
                   if (e) {  // out of memory: nothing else in the replay throws
                     core.log(log_level::error, "dead-letter replay failed: " + describe(e).cause.what);
                     out.ec = make_error_code(boost::system::errc::not_enough_memory);
                   }
                   // post() runs the handler on its own associated executor, if it has one
                   asio::post(core.executor(), asio::append(std::move(handler), out.ec, out.report));
                   core.worker_exited();
                 });
}

}  // namespace sluice::detail
