// The OTLP/HTTP trace exporter (see otlp_exporter.hpp).
#include "sluice/otel/otlp_exporter.hpp"

#include "sluice/http/endpoint.hpp"
#include "sluice/otel/otlp_json.hpp"

#include <sluice/error.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <deque>
#include <fstream>
#include <mutex>
#include <vector>

namespace sluice::otel {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

struct otlp_exporter::state : std::enable_shared_from_this<state> {
  state(const asio::any_io_executor& ex, otlp_exporter_options o)
      : strand(asio::make_strand(ex)), options(std::move(o)), timer(strand) {}

  asio::strand<asio::any_io_executor> strand;
  const otlp_exporter_options options;
  http::endpoint target;
  asio::steady_timer timer;  // on strand
  std::atomic<bool> nudged{false};
  mutable std::mutex mutex;
  std::deque<trace::span> queue;  // guarded by mutex
  otlp_exporter_stats figures;    // guarded by mutex
  bool stopping = false;          // guarded by mutex
  bool started = false;

  void add(trace::span&& s) {
    std::lock_guard lock(mutex);
    if (stopping || queue.size() >= options.max_queue) {
      ++figures.dropped_full;
      return;
    }
    queue.push_back(std::move(s));
    if (queue.size() >= options.max_batch && !nudged.exchange(true)) {
      asio::post(strand, [self = shared_from_this()] { self->timer.cancel(); });
    }
  }

  std::vector<trace::span> take(bool& stop_now) {
    std::lock_guard lock(mutex);
    stop_now = stopping;
    std::vector<trace::span> batch;
    const std::size_t n = std::min(queue.size(), options.max_batch);
    batch.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      batch.push_back(std::move(queue.front()));
      queue.pop_front();
    }
    return batch;
  }

  // One POST of `body`; an empty string when the collector accepted it, else why not.
  asio::awaitable<std::string> post(const std::string& body) {
    auto token = asio::as_tuple(asio::use_awaitable);
    tcp::resolver resolver(strand);
    auto [rec, results] = co_await resolver.async_resolve(target.host, std::to_string(target.port), token);
    if (rec) co_return "resolve " + target.host + ": " + rec.message();
    beast::tcp_stream stream(strand);
    stream.expires_after(options.request_timeout);
    auto [cec, ep] = co_await stream.async_connect(results, token);
    (void)ep;
    if (cec) co_return "connect " + target.to_string() + ": " + cec.message();
    bhttp::request<bhttp::string_body> req{bhttp::verb::post, target.prefix.empty() ? "/" : target.prefix, 11};
    req.set(bhttp::field::host, target.host + ":" + std::to_string(target.port));
    req.set(bhttp::field::content_type, "application/json");
    req.set(bhttp::field::user_agent, "sluice-otlp");
    req.body() = body;
    req.prepare_payload();
    auto [wec, wn] = co_await bhttp::async_write(stream, req, token);
    (void)wn;
    if (wec) co_return "send: " + wec.message();
    beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> res;
    auto [hec, hn] = co_await bhttp::async_read(stream, buffer, res, token);
    (void)hn;
    if (hec) co_return "read: " + hec.message();
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    if (res.result_int() / 100 != 2) {
      co_return "collector answered " + std::to_string(res.result_int()) + ": " + res.body().substr(0, 200);
    }
    co_return std::string();
  }

  asio::awaitable<void> run() {
    auto token = asio::as_tuple(asio::use_awaitable);
    const resource_info resource{options.service_name, options.service_instance};
    for (;;) {
      bool stop_now = false;
      {
        std::lock_guard lock(mutex);
        stop_now = stopping;
      }
      if (!stop_now && !nudged.load()) {
        timer.expires_after(options.flush_interval);
        auto waited = co_await timer.async_wait(token);
        (void)waited;
      }
      nudged.store(false);
      auto batch = take(stop_now);
      if (batch.empty()) {
        if (stop_now) co_return;
        continue;
      }
      std::string body;
      try {
        body = otlp_json(batch, resource);
      } catch (const std::exception& e) {  // out of memory: this batch is lost, the exporter goes on
        std::lock_guard lock(mutex);
        figures.dropped_failed += batch.size();
        figures.last_error = std::string("cannot serialize a batch: ") + e.what();
        continue;
      }
      if (!options.copy_to_file.empty()) std::ofstream(options.copy_to_file, std::ios::app) << body << '\n';
      std::string error;
      auto delay = options.retry_initial;
      for (int attempt = 1; attempt <= options.max_attempts; ++attempt) {
        error = co_await post(body);
        {
          std::lock_guard lock(mutex);
          ++figures.requests;
          if (!error.empty()) ++figures.failed_requests;
          stop_now = stopping;
        }
        if (error.empty() || stop_now || attempt == options.max_attempts) break;
        timer.expires_after(delay);
        auto waited = co_await timer.async_wait(token);
        (void)waited;
        delay *= 2;
      }
      std::lock_guard lock(mutex);
      if (error.empty()) {
        figures.exported += batch.size();
        figures.last_error.clear();
      } else {
        figures.dropped_failed += batch.size();
        figures.last_error = error;
      }
    }
  }
};

otlp_exporter::otlp_exporter(const asio::any_io_executor& ex, otlp_exporter_options options)
    : state_(std::make_shared<state>(ex, std::move(options))) {}

otlp_exporter::~otlp_exporter() { stop(); }

span_sink otlp_exporter::sink() const {
  return [weak = std::weak_ptr<state>(state_)](trace::span&& s) {
    if (auto st = weak.lock()) st->add(std::move(s));
  };
}

boost::system::error_code otlp_exporter::start() {
  auto parsed = http::parse_endpoint(state_->options.endpoint);
  if (!parsed.value) return make_error_code(errc::invalid_argument);
  state_->target = *parsed.value;
  if (state_->started) return {};
  state_->started = true;
  asio::co_spawn(
      state_->strand, [s = state_]() { return s->run(); }, asio::detached);
  return {};
}

void otlp_exporter::stop() {
  {
    std::lock_guard lock(state_->mutex);
    if (state_->stopping) return;
    state_->stopping = true;
  }
  asio::post(state_->strand, [s = state_] { s->timer.cancel(); });
}

otlp_exporter_stats otlp_exporter::stats() const {
  std::lock_guard lock(state_->mutex);
  otlp_exporter_stats out = state_->figures;
  out.queued = state_->queue.size();
  return out;
}

}  // namespace sluice::otel
