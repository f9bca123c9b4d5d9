// The enqueue operation: validate, admit (or wait for room), publish, complete.
// When the queue is full and the caller chose full_policy::wait, the operation parks on the
// queue's space signal with the caller's executor and cancellation slot.
#include "sluice/detail/engine_core.hpp"
#include "sluice/detail/enqueue_request.hpp"
#include "sluice/detail/queue_runtime.hpp"
#include "sluice/error.hpp"

#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include <optional>

namespace sluice::detail {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

void complete(engine_core& core, enqueue_handler h, error_code ec, message_id id) {
  asio::post(core.executor(), asio::append(std::move(h), ec, id));
}

// Discards a message whose enqueue failed, releasing its dedup key first.
void drop(queue_runtime& queue, std::unique_ptr<message> m) {
  if (!m->dedup_key.empty()) queue.dedup().forget(*m);
  queue.recycle(std::move(m));
}

// Owns a message that found its queue full, until it is admitted, cancelled or refused.
class space_wait {
 public:
  using executor_type = asio::any_completion_executor;
  using cancellation_slot_type = asio::cancellation_slot;

  space_wait(engine_core& core, queue_runtime& queue, std::unique_ptr<message> m, enqueue_handler h)
      : core_(&core), queue_(&queue), message_(std::move(m)), handler_(std::move(h)) {}

  [[nodiscard]] executor_type get_executor() const noexcept {
    return asio::get_associated_executor(handler_, core_->executor());
  }
  [[nodiscard]] cancellation_slot_type get_cancellation_slot() const noexcept {
    return asio::get_associated_cancellation_slot(handler_);
  }

  void operator()(error_code ec) {
    if (ec) {
      drop(*queue_, std::move(message_));
      const bool refused = core_->refuses(/*has_parent=*/false);
      complete(*core_, std::move(handler_), refused ? make_error_code(errc::shutting_down) : ec, {});
      return;
    }
    attempt();
  }

  void attempt() {
    if (core_->refuses(/*has_parent=*/false)) {
      drop(*queue_, std::move(message_));
      return complete(*core_, std::move(handler_), make_error_code(errc::shutting_down), {});
    }
    if (queue_->try_admit()) return publish();
    auto& space = queue_->space_signal();
    space.prepare();
    if (queue_->try_admit()) {
      space.cancel_prepare();
      return publish();
    }
    space.async_wait(std::move(*this));
  }

 private:
  void publish() {
    const message_id id = message_->id;
    queue_->publish(std::move(message_));
    complete(*core_, std::move(handler_), {}, id);
  }

  engine_core* core_;
  queue_runtime* queue_;
  std::unique_ptr<message> message_;
  enqueue_handler handler_;
};

}  // namespace

// Applies the dedup rules to a keyed message. Returns an outcome when the enqueue is decided
// here (rejected, replaced, held), nothing when the message should be enqueued as usual.
std::optional<boost::system::result<message_id>> deduplicate(engine_core& core, queue_runtime& queue,
                                                             std::unique_ptr<message>& m, dedup_mode mode) {
  if (m->dedup_key.empty()) return std::nullopt;
  const message_id id = m->id;
  const auto r = queue.dedup().on_enqueue(m, mode, core.clock().now());
  switch (r.what) {
    case dedup_index::verdict::proceed:
      return std::nullopt;
    case dedup_index::verdict::rejected:
      queue.recycle(std::move(m));
      return boost::system::result<message_id>(make_error_code(errc::duplicate_rejected));
    case dedup_index::verdict::replaced:
      queue.recycle(std::move(m));
      return boost::system::result<message_id>(r.existing);
    case dedup_index::verdict::held:
      return boost::system::result<message_id>(id);  // the index owns it until its turn
  }
  return std::nullopt;
}

// A message due later goes to its queue's timekeeper (bounded by max_scheduled) instead of the
// ready ring; returns whether it did, with queue_full when the schedule is full.
bool schedule_if_delayed(engine_core& core, queue_runtime& queue, std::unique_ptr<message>& m,
                         boost::system::error_code& ec) {
  if (m->not_before == sys_time{} || m->not_before <= core.clock().now()) return false;
  if (queue.timers().delayed() >= queue.options().max_scheduled) {
    ec = make_error_code(errc::queue_full);
    drop(queue, std::move(m));
    return true;
  }
  const sys_time due = m->not_before;  // read before the move: argument order is unspecified
  queue.timers().schedule(std::move(m), due, timekeeper::origin::delayed_enqueue);
  return true;
}

void start_enqueue(engine_core& core, enqueue_request request, enqueue_handler handler) {
  queue_runtime* queue = nullptr;
  auto made = core.make_message(request.queue, request.type, request.payload, request.options,
                                request.parent ? &*request.parent : nullptr, queue);
  if (!made) return complete(core, std::move(handler), made.error(), {});
  std::unique_ptr<message> m = std::move(*made);
  const message_id id = m->id;
  if (auto decided = deduplicate(core, *queue, m, request.options.dedup)) {
    return complete(core, std::move(handler), decided->has_value() ? boost::system::error_code{} : decided->error(),
                    decided->has_value() ? **decided : message_id{});
  }
  if (boost::system::error_code ec; schedule_if_delayed(core, *queue, m, ec)) {
    return complete(core, std::move(handler), ec, ec ? message_id{} : id);
  }
  if (queue->try_admit()) {
    queue->publish(std::move(m));
    return complete(core, std::move(handler), {}, id);
  }
  if (request.options.on_full == full_policy::fail) {
    drop(*queue, std::move(m));
    return complete(core, std::move(handler), make_error_code(errc::queue_full), {});
  }
  space_wait(core, *queue, std::move(m), std::move(handler)).attempt();
}

boost::system::result<message_id> try_enqueue(engine_core& core, std::string_view queue_name, std::string_view type,
                                              std::string_view payload, enqueue_options options) {
  queue_runtime* queue = nullptr;
  auto made = core.make_message(queue_name, type, payload, options, nullptr, queue);
  if (!made) return made.error();
  const message_id id = (*made)->id;
  if (auto decided = deduplicate(core, *queue, *made, options.dedup)) return *decided;
  if (boost::system::error_code ec; schedule_if_delayed(core, *queue, *made, ec)) {
    if (ec) return ec;
    return id;
  }
  if (!queue->try_admit()) {
    drop(*queue, std::move(*made));
    return make_error_code(errc::queue_full);
  }
  queue->publish(std::move(*made));
  return id;
}

}  // namespace sluice::detail
