// The enqueue operation: validate, admit (or wait for room), publish, complete.
// When the queue is full and the caller chose full_policy::wait, the operation parks on the
// queue's space signal with the caller's executor and cancellation slot.
#include "sluice/detail/engine_core.hpp"
#include "sluice/detail/enqueue_request.hpp"
#include "sluice/detail/queue_runtime.hpp"
#include "sluice/error.hpp"
#include "sluice/journal/record_codec.hpp"
#include "sluice/persist/durable_store.hpp"

#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include <boost/system/system_error.hpp>

#include <optional>
#include <tuple>

namespace sluice::detail {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

void complete(engine_core& core, enqueue_handler h, error_code ec, message_id id) {
  asio::post(core.executor(), asio::append(std::move(h), ec, id));
}

// From a journal completion, already on the application's executor: run the caller's completion
// inline when its executor is this context, instead of another trip through the queue.
void complete_here(enqueue_handler h, error_code ec, message_id id) {
  asio::dispatch(asio::append(std::move(h), ec, id));
}

// Discards a message whose enqueue failed, releasing its dedup key first.
void drop(queue_runtime& queue, std::unique_ptr<message> m) {
  if (!m->dedup_key.empty()) queue.dedup().forget(*m);
  queue.recycle(std::move(m));
}

enum class landing : std::uint8_t { publish, schedule };

// Puts an admitted (or delayed) message into its queue and completes the enqueue. With
// persistence the message lands only once its enqueue record is durable, so no handler ever runs
// a message that a crash could lose, and the caller's completion means "durable". `encoded`: the
// record, when the caller had to encode it already (keyed messages); else the journal's writer
// thread encodes it from the message, which nothing touches until the completion runs.
void land(engine_core& core, queue_runtime& queue, std::unique_ptr<message> m, landing how, enqueue_handler h,
          std::vector<persist::owned_entry> encoded = {}) {
  const message_id id = m->id;
  auto finish = [&queue, how](std::unique_ptr<message> msg) {
    if (how == landing::publish) {
      queue.publish(std::move(msg));
    } else {
      const sys_time due = msg->not_before;
      queue.timers().schedule(std::move(msg), due, timekeeper::origin::delayed_enqueue);
    }
  };
  auto* store = core.store();
  if (!store) {
    // The clock is read only when tracing is on. In memory the message lands right after it was
    // made, so its enqueue time is when it became ready (a clock read costs ~25 ns here, 3-4% of
    // an in-memory enqueue-to-ack).
    if (core.tracing().enabled()) core.tracing().published(queue.name(), *m, core.clock().now(), nullptr);
    if (how == landing::publish) {
      const sys_time since = m->enqueued_at;
      queue.publish(std::move(m), since);
    } else {
      finish(std::move(m));
    }
    if (h) complete(core, std::move(h), {}, id);  // try_enqueue passes none
    return;
  }
  core.worker_started();  // stop waits for this completion: it refers to the queue
  const auto submitted = std::chrono::steady_clock::now();
  const message& source = *m;  // the completion owns it; the writer reads it until then
  auto landed = [&core, &queue, how, finish, m = std::move(m), h = std::move(h), id, submitted](error_code ec,
                                                                                                std::uint64_t) mutable {
    if (!ec) core.record_durable(std::chrono::steady_clock::now() - submitted);
    if (core.tracing().enabled()) {
      const std::string why = ec ? ec.message() : std::string();
      core.tracing().published(queue.name(), *m, core.clock().now(), ec ? &why : nullptr);
    }
    if (ec) {
      if (how == landing::publish) queue.cancel_admission();
      drop(queue, std::move(m));
    } else {
      finish(std::move(m));
    }
    if (!h && ec) {  // try_enqueue's caller has its id already: all we can do is say so
      core.log(log_level::error, "an enqueue accepted by try_enqueue failed to persist: " + ec.message());
    }
    enqueue_handler caller = std::move(h);
    core.worker_exited();  // the last use of the engine: the caller's code may stop and destroy it
    if (caller) complete_here(std::move(caller), ec, ec ? message_id{} : id);
  };
  if (encoded.empty()) {
    store->submit_enqueue(queue.name(), source, std::move(landed));  // encoded by the writer thread
  } else {
    store->submit(std::move(encoded), std::move(landed));
  }
}

// Completes `h` once `e` is durable (a dedup replacement or a held follow-up's enqueue).
void complete_when_durable(engine_core& core, std::vector<persist::owned_entry> encoded, enqueue_handler h,
                           message_id id) {
  core.worker_started();  // stop waits for this completion
  core.store()->submit(std::move(encoded), [&core, h = std::move(h), id](error_code ec, std::uint64_t) mutable {
    if (h) {
      complete(core, std::move(h), ec, ec ? message_id{} : id);
    } else if (ec) {
      core.log(log_level::error, "a deduplicated try_enqueue failed to persist: " + ec.message());
    }
    core.worker_exited();
  });
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
  void publish() { land(*core_, *queue_, std::move(message_), landing::publish, std::move(handler_)); }

  engine_core* core_;
  queue_runtime* queue_;
  std::unique_ptr<message> message_;
  enqueue_handler handler_;
};

}  // namespace

// What deduplicate() decided, and for a persistent engine the records to make durable first.
struct dedup_outcome {
  boost::system::result<message_id> result = message_id{};
  std::vector<persist::owned_entry> records;  // empty: nothing to journal
};

// Applies the dedup rules to a keyed message. Returns an outcome when the enqueue is decided
// here (rejected, replaced, held), nothing when the message should be enqueued as usual; then
// `encoded` holds its enqueue record when persistence is on (encoded before the index may take
// the message).
std::optional<dedup_outcome> deduplicate(engine_core& core, queue_runtime& queue, std::unique_ptr<message>& m,
                                         dedup_mode mode, std::vector<persist::owned_entry>& encoded) {
  if (m->dedup_key.empty()) return std::nullopt;
  const message_id id = m->id;
  std::string payload_copy;
  std::vector<header> headers_copy;
  if (core.store()) {
    encoded.resize(1);
    encoded[0].type = journal::record_type::enqueue;
    journal::encode_enqueue(queue.name(), *m, encoded[0].payload);
    payload_copy = m->payload;  // the index moves it into the message it replaces
    headers_copy = m->headers;
  }
  const auto r = queue.dedup().on_enqueue(m, mode, core.clock().now());
  switch (r.what) {
    case dedup_index::verdict::proceed:
      return std::nullopt;
    case dedup_index::verdict::rejected:
      queue.recycle(std::move(m));
      return dedup_outcome{make_error_code(errc::duplicate_rejected), {}};
    case dedup_index::verdict::replaced: {
      queue.recycle(std::move(m));
      dedup_outcome out{r.existing, {}};
      if (core.store()) {
        out.records.resize(1);
        out.records[0].type =
            journal::encode_event(journal::replace_event{r.existing, std::move(payload_copy), std::move(headers_copy)},
                                  out.records[0].payload);
      }
      return out;
    }
    case dedup_index::verdict::held:
      return dedup_outcome{id, std::move(encoded)};  // the index owns it until its turn
  }
  return std::nullopt;
}

// A message due later goes to its queue's timekeeper (bounded by max_scheduled) instead of the
// ready ring. Returns true when the message is delayed; ec = queue_full (and the message
// dropped) when the schedule is full.
bool delayed(engine_core& core, queue_runtime& queue, std::unique_ptr<message>& m, boost::system::error_code& ec) {
  if (m->not_before == sys_time{} || m->not_before <= core.clock().now()) return false;
  if (queue.timers().delayed() >= queue.options().max_scheduled) {
    ec = make_error_code(errc::queue_full);
    drop(queue, std::move(m));
  }
  return true;
}

enqueue_request prepare_enqueue(engine_core& core, std::string_view queue, std::string_view type,
                                std::string_view payload, enqueue_options& options, const parent_info* parent) {
  enqueue_request r;
  r.dedup = options.dedup;
  r.on_full = options.on_full;
  r.child = parent != nullptr;
  auto made = core.make_message(queue, type, payload, options, parent, r.queue);
  if (made) {
    r.m = std::move(*made);
  } else {
    r.error = made.error();
  }
  return r;
}

namespace {

// The steps both paths share up to admission. Returns a result when the enqueue is decided
// without admission (refused, deduplicated, delayed in memory); sets `admitted` when the queue
// took it (it is then published, in memory, or owed a journal write).
enum class step : std::uint8_t { decided, admitted, full, journal };

struct decision {
  step what = step::decided;
  boost::system::result<message_id> result = message_id{};
  std::vector<persist::owned_entry> records;  // journal: what to make durable first
  landing how = landing::publish;
};

decision decide(engine_core& core, enqueue_request& r) {
  decision d;
  if (r.error) {
    d.result = r.error;
    return d;
  }
  queue_runtime& queue = *r.queue;
  if (core.refuses(r.child)) {
    drop(queue, std::move(r.m));
    d.result = make_error_code(errc::shutting_down);
    return d;
  }
  if (auto decided = deduplicate(core, queue, r.m, r.dedup, d.records)) {
    d.result = decided->result;
    if (!decided->records.empty() && decided->result) {
      d.what = step::journal;
      d.records = std::move(decided->records);
    }
    return d;
  }
  if (boost::system::error_code ec; delayed(core, queue, r.m, ec)) {
    if (ec) {
      d.result = ec;
      return d;
    }
    d.how = landing::schedule;
    d.what = step::admitted;
    return d;
  }
  if (queue.try_admit()) {
    d.what = step::admitted;
    return d;
  }
  if (r.on_full == full_policy::fail) {
    drop(queue, std::move(r.m));
    d.result = make_error_code(errc::queue_full);
    return d;
  }
  d.what = step::full;
  return d;
}

}  // namespace

void start_enqueue(engine_core& core, enqueue_request request, enqueue_handler handler) {
  if (request.waits_for_room) {
    return space_wait(core, *request.queue, std::move(request.m), std::move(handler)).attempt();
  }
  decision d = decide(core, request);
  switch (d.what) {
    case step::decided:
      return complete(core, std::move(handler), d.result ? boost::system::error_code{} : d.result.error(),
                      d.result ? *d.result : message_id{});
    case step::journal:
      return complete_when_durable(core, std::move(d.records), std::move(handler), *d.result);
    case step::admitted:
      return land(core, *request.queue, std::move(request.m), d.how, std::move(handler), std::move(d.records));
    case step::full:
      return space_wait(core, *request.queue, std::move(request.m), std::move(handler)).attempt();
  }
}

std::optional<boost::system::result<message_id>> enqueue_at_once(engine_core& core, enqueue_request& request) {
  if (request.error) return boost::system::result<message_id>(request.error);
  if (core.store() != nullptr) return std::nullopt;  // completes when durable
  decision d = decide(core, request);
  switch (d.what) {
    case step::decided:
      return d.result;
    case step::admitted: {
      const message_id id = request.m->id;
      land(core, *request.queue, std::move(request.m), d.how, enqueue_handler{});
      return boost::system::result<message_id>(id);
    }
    case step::full:
      request.waits_for_room = true;
      return std::nullopt;
    case step::journal:
      break;  // impossible without a store
  }
  return std::nullopt;
}

namespace {

template <class Token>
auto enqueue_later(engine_core& core, enqueue_request& request, Token token) {
  return asio::async_initiate<Token, void(boost::system::error_code, message_id)>(
      [&core, &request](auto handler) { start_enqueue(core, std::move(request), enqueue_handler(std::move(handler))); },
      token);
}

}  // namespace

asio::awaitable<message_id> enqueue_awaitable(engine_core& core, enqueue_request request) {
  if (auto done = enqueue_at_once(core, request)) {
    if (!*done) throw boost::system::system_error(done->error());
    co_return **done;
  }
  co_return co_await enqueue_later(core, request, asio::use_awaitable);
}

asio::awaitable<std::tuple<boost::system::error_code, message_id>> enqueue_awaitable_tuple(engine_core& core,
                                                                                           enqueue_request request) {
  if (auto done = enqueue_at_once(core, request)) {
    co_return std::make_tuple(*done ? boost::system::error_code{} : done->error(), *done ? **done : message_id{});
  }
  co_return co_await enqueue_later(core, request, asio::as_tuple(asio::use_awaitable));
}

boost::system::result<message_id> try_enqueue(engine_core& core, enqueue_request request) {
  if (request.error) return request.error;
  request.on_full = full_policy::fail;
  decision d = decide(core, request);
  switch (d.what) {
    case step::decided:
      return d.result;
    case step::journal:
      complete_when_durable(core, std::move(d.records), enqueue_handler{}, *d.result);
      return d.result;
    case step::admitted: {
      const message_id id = request.m->id;
      land(core, *request.queue, std::move(request.m), d.how, enqueue_handler{}, std::move(d.records));
      return id;
    }
    case step::full:
      break;  // on_full is fail
  }
  return make_error_code(errc::queue_full);
}

}  // namespace sluice::detail
