// The admin HTTP server (see admin_server.hpp).
#include "sluice/http/admin_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/serialize.hpp>

#include <mutex>
#include <set>

namespace sluice::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using boost::system::error_code;

struct admin_server::state : std::enable_shared_from_this<admin_server::state> {
  state(engine& e, asio::any_io_executor ex, admin_server_options o)
      : eng(e), executor(std::move(ex)), options(std::move(o)), acceptor(executor) {}
  engine& eng;
  asio::any_io_executor executor;
  admin_server_options options;
  tcp::acceptor acceptor;
  std::mutex mutex;
  std::set<std::shared_ptr<beast::tcp_stream>> connections;  // guarded by mutex: closed by stop()
  bool stopped = false;                                      // guarded by mutex
};

namespace {

bhttp::response<bhttp::string_body> to_response(const admin_reply& r, unsigned version, bool keep_alive) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), version};
  res.set(bhttp::field::content_type, r.content_type);
  res.set(bhttp::field::cache_control, "no-store");
  res.keep_alive(keep_alive);
  res.body() = r.body;
  res.prepare_payload();
  return res;
}

admin_reply parse_error(const error_code& ec) {
  const bool too_large =
      ec == bhttp::error::body_limit || ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow;
  const char* code = too_large ? "too_large" : "bad_request";
  return {too_large ? 413U : 400U, "application/json",
          boost::json::serialize(boost::json::object{{"error", code}, {"message", ec.message()}})};
}

asio::awaitable<void> serve(std::shared_ptr<admin_server::state> s, std::shared_ptr<beast::tcp_stream> stream) {
  beast::flat_buffer buffer;
  for (;;) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(s->options.max_header_bytes));
    parser.body_limit(s->options.max_body_bytes);
    stream->expires_after(s->options.idle_timeout);
    auto [ec, n] = co_await bhttp::async_read(*stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (ec == bhttp::error::end_of_stream || ec == asio::error::operation_aborted || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::eof) {
      break;
    }
    if (ec) {
      // Malformed or too large: answer once, then close (the stream's framing is lost).
      auto res = to_response(parse_error(ec), 11, false);
      stream->expires_after(s->options.idle_timeout);
      (void)co_await bhttp::async_write(*stream, res, asio::as_tuple(asio::use_awaitable));
      break;
    }
    auto& req = parser.get();
    admin_request ar;
    const auto method = req.method_string();
    const auto target = req.target();
    const auto auth = req[bhttp::field::authorization];
    ar.method = std::string_view(method.data(), method.size());
    ar.target = std::string_view(target.data(), target.size());
    ar.authorization = std::string_view(auth.data(), auth.size());
    ar.body = req.body();
    std::optional<admin_reply> app;
    if (s->options.routes) app = co_await s->options.routes(ar);
    admin_reply r;
    if (app) {
      r = std::move(*app);
    } else {
      r = co_await handle_admin_request(s->eng, s->options.admin, ar);
    }
    const bool keep_alive = req.keep_alive();
    auto res = to_response(r, req.version(), keep_alive);
    stream->expires_after(s->options.idle_timeout);
    auto [wec, wn] = co_await bhttp::async_write(*stream, res, asio::as_tuple(asio::use_awaitable));
    if (wec || !keep_alive) break;
  }
  error_code ignored;
  stream->socket().shutdown(tcp::socket::shutdown_send, ignored);
  const std::lock_guard lock(s->mutex);
  s->connections.erase(stream);
}

asio::awaitable<void> accept_loop(std::shared_ptr<admin_server::state> s) {
  for (;;) {
    auto [ec, socket] = co_await s->acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) continue;  // a failed accept (EMFILE, ...) is not the server's end
    auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
    {
      const std::lock_guard lock(s->mutex);
      if (s->stopped) co_return;
      s->connections.insert(stream);
    }
    asio::co_spawn(s->executor, serve(s, stream), asio::detached);
  }
}

}  // namespace

admin_server::admin_server(engine& eng, asio::any_io_executor ex, admin_server_options options)
    : state_(std::make_shared<state>(eng, std::move(ex), std::move(options))) {}

admin_server::~admin_server() { stop(); }

error_code admin_server::listen() {
  error_code ec;
  const auto address = asio::ip::make_address(state_->options.address, ec);
  if (ec) return ec;
  const tcp::endpoint ep(address, state_->options.port);
  auto& a = state_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error_code ignored;
    a.close(ignored);
    return ec;
  }
  asio::co_spawn(state_->executor, accept_loop(state_), asio::detached);
  return {};
}

std::uint16_t admin_server::port() const noexcept {
  error_code ec;
  const auto ep = state_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void admin_server::stop() {
  asio::post(state_->executor, [s = state_] {
    error_code ignored;
    s->acceptor.close(ignored);
    const std::lock_guard lock(s->mutex);
    s->stopped = true;
    for (const auto& c : s->connections) c->socket().close(ignored);
  });
}

}  // namespace sluice::http
