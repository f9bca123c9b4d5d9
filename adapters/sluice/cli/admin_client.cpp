// The admin API client (see admin_client.hpp). Each request is a coroutine on a private
// io_context, run for at most the timeout; past it the socket is closed and the coroutine drained,
// so nothing outlives the call.
#include "sluice/cli/admin_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>

#include <exception>
#include <utility>

namespace sluice::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr std::uint64_t max_reply_bytes = std::uint64_t{64} << 20;  // 10000 listed messages fit easily

using http_request = bhttp::request<bhttp::string_body>;
using http_response = bhttp::response<bhttp::string_body>;

struct exchange_outcome {
  error_code ec;
  std::string_view failed_step;  // "resolve", "connect to", ... when ec is set
  http_response response;
};

// Resolve, connect, send, read. The resolver and stream must outlive the coroutine.
asio::awaitable<exchange_outcome> exchange(tcp::resolver& resolver, beast::tcp_stream& stream, std::string host,
                                           std::string port, http_request request) {
  exchange_outcome out;
  auto [resolve_ec, results] = co_await resolver.async_resolve(host, port, asio::as_tuple(asio::use_awaitable));
  if (resolve_ec) {
    out.ec = resolve_ec;
    out.failed_step = "resolve the host of";
    co_return out;
  }
  auto [connect_ec, peer] = co_await stream.async_connect(results, asio::as_tuple(asio::use_awaitable));
  if (connect_ec) {
    out.ec = connect_ec;
    out.failed_step = "connect to";
    co_return out;
  }
  auto [write_ec, written] = co_await bhttp::async_write(stream, request, asio::as_tuple(asio::use_awaitable));
  if (write_ec) {
    out.ec = write_ec;
    out.failed_step = "send a request to";
    co_return out;
  }
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(max_reply_bytes);
  auto [read_ec, bytes_read] = co_await bhttp::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
  if (read_ec) {
    out.ec = read_ec;
    out.failed_step = "read the reply of";
    co_return out;
  }
  out.response = parser.release();
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  co_return out;
}

std::string host_header(const http::endpoint& server) {
  const bool v6 = server.host.find(':') != std::string::npos;
  return (v6 ? "[" + server.host + "]" : server.host) + ":" + std::to_string(server.port);
}

http_request make_request(const http::endpoint& server, const std::string& token, bhttp::verb verb,
                          std::string_view path_and_query) {
  http_request request{verb, server.prefix + std::string(path_and_query), 11};
  request.set(bhttp::field::host, host_header(server));
  request.set(bhttp::field::user_agent, "sluice-cli");
  request.set(bhttp::field::accept, "application/json");
  if (!token.empty()) request.set(bhttp::field::authorization, "Bearer " + token);
  request.keep_alive(false);
  request.prepare_payload();
  return request;
}

bool is_json(const http_response& response) {
  const auto type = response[bhttp::field::content_type];
  return std::string_view(type.data(), type.size()).substr(0, 16) == "application/json";
}

admin_result to_result(http_response response) {
  admin_result r;
  r.status = response.result_int();
  r.body = std::move(response.body());
  if (is_json(response)) {
    error_code ec;
    auto parsed = boost::json::parse(r.body, ec);
    if (!ec) r.json_body = std::move(parsed);
  }
  return r;
}

admin_result transport_failure(error_code ec, std::string message) {
  admin_result r;
  r.transport = ec;
  r.transport_message = std::move(message);
  return r;
}

admin_result perform(const http::endpoint& server, const std::string& token, std::chrono::milliseconds timeout,
                     bhttp::verb verb, std::string_view path_and_query) {
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  std::optional<exchange_outcome> outcome;
  std::exception_ptr thrown;
  asio::co_spawn(ioc,
                 exchange(resolver, stream, server.host, std::to_string(server.port),
                          make_request(server, token, verb, path_and_query)),
                 [&outcome, &thrown](std::exception_ptr e, exchange_outcome o) {
                   thrown = std::move(e);
                   outcome = std::move(o);
                 });
  ioc.run_for(timeout);
  const bool timed_out = !outcome;
  if (timed_out) {
    // Abort whatever step is pending and let the coroutine finish before its objects go.
    resolver.cancel();
    stream.close();
    ioc.restart();
    ioc.run();
  }
  if (thrown) std::rethrow_exception(thrown);  // bad_alloc and the like: not a network failure
  if (timed_out || !outcome) {
    return transport_failure(asio::error::timed_out, "no answer from " + server.to_string() + " within " +
                                                         std::to_string(timeout.count()) + " ms");
  }
  if (outcome->ec) {
    return transport_failure(outcome->ec, "cannot " + std::string(outcome->failed_step) + " " + server.to_string() +
                                              ": " + outcome->ec.message());
  }
  return to_result(std::move(outcome->response));
}

}  // namespace

const boost::json::object* admin_result::json_object() const noexcept {
  return json_body ? json_body->if_object() : nullptr;
}

std::string admin_result::error_message() const {
  if (transport) return transport_message;
  if (const auto* o = json_object()) {
    if (const auto* message = o->if_contains("message"); message && message->is_string()) {
      const auto& text = message->get_string();
      return std::string(text.data(), text.size());
    }
  }
  std::string out = "HTTP " + std::to_string(status);
  if (!body.empty()) out += ": " + body.substr(0, 200);
  return out;
}

admin_client::admin_client(http::endpoint server, std::string token, std::chrono::milliseconds timeout)
    : server_(std::move(server)), token_(std::move(token)), timeout_(timeout) {}

admin_result admin_client::get(std::string_view path_and_query) const {
  return perform(server_, token_, timeout_, bhttp::verb::get, path_and_query);
}

admin_result admin_client::post(std::string_view path_and_query) const {
  return perform(server_, token_, timeout_, bhttp::verb::post, path_and_query);
}

}  // namespace sluice::cli
