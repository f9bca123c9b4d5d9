// Engine facade (see engine.hpp): forwards to detail::engine_core.
#include "sluice/engine.hpp"

#include "sluice/detail/engine_core.hpp"
#include "sluice/detail/message_listing.hpp"
#include "sluice/detail/queue_runtime.hpp"

#include <cstdio>
#include <cstdlib>

namespace sluice {

namespace detail {
void start_stop(engine_core& core, std::chrono::nanoseconds grace,
                boost::asio::any_completion_handler<void(boost::system::error_code)> handler) {
  core.stop(grace, std::move(handler));
}
}  // namespace detail

engine::engine(executor_type ex, engine_options options)
    : core_(std::make_unique<detail::engine_core>(std::move(ex), std::move(options))) {}

engine::~engine() {
  if (core_->live_coroutines() != 0) {
    // Worker and timekeeper coroutines still refer to the engine: destroying it now would leave
    // them dangling.
    std::fputs("sluice: engine destroyed while its workers run; complete async_stop() first\n", stderr);
    std::abort();
  }
}

boost::system::error_code engine::declare_queue(std::string_view name, queue_options options) {
  return core_->declare_queue(name, options);
}

boost::system::error_code engine::add_handler(std::string_view queue, std::string_view type, handler_fn fn,
                                              std::optional<handler_options> options) {
  return core_->add_handler(queue, type, std::move(fn), std::move(options));
}

std::vector<dead_letter> engine::dead_letters(const dead_letter_filter& filter, std::size_t limit,
                                              std::size_t offset) const {
  return core_->dead_letters(filter, limit, offset);
}

std::vector<message_info> engine::list_messages(const message_filter& filter, std::size_t limit,
                                                std::size_t offset) const {
  return detail::list_messages(*core_, filter, limit, offset);
}

std::optional<message_info> engine::find_message(const message_id& id) const {
  return detail::find_message(*core_, id);
}

std::optional<dead_letter> engine::find_dead_letter(const message_id& id) const { return core_->find_dead_letter(id); }

boost::system::error_code engine::replay_dead_letter(const message_id& id, replay_options options) {
  return core_->replay_dead_letter(id, options);
}

replay_report engine::replay_dead_letters(const dead_letter_filter& filter, replay_options options, std::size_t limit) {
  return core_->replay_dead_letters(filter, options, limit);
}

std::size_t engine::purge_dead_letters(const dead_letter_filter& filter) { return core_->purge_dead_letters(filter); }

std::map<std::string, std::uint64_t> engine::dead_letter_error_types(const dead_letter_filter& filter) const {
  return core_->dead_letter_error_types(filter);
}

boost::system::error_code engine::start() { return core_->start(); }

boost::system::result<message_id> engine::try_enqueue_raw(std::string_view queue, std::string_view type,
                                                          std::string_view payload, enqueue_options options) {
  return detail::try_enqueue(*core_, detail::prepare_enqueue(*core_, queue, type, payload, options));
}

boost::system::error_code engine::scale(std::string_view queue, std::size_t workers) {
  return core_->scale(queue, workers);
}

engine_stats engine::stats() const { return core_->stats(); }

void engine::reset_metrics() { core_->reset_metrics(); }

std::optional<dedup_key_state> engine::inspect_dedup_key(std::string_view queue, const std::string& key) const {
  const detail::queue_runtime* q = core_->find_queue(queue);
  if (!q) return std::nullopt;
  return q->dedup().inspect(key, core_->clock().now());
}

engine::executor_type engine::get_executor() const noexcept { return core_->executor(); }

}  // namespace sluice
