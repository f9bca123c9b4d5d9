// OrderFlow's POST /orders (see order_api.hpp).
#include "order_api.hpp"

#include "orderflow_messages.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <string>

namespace orderflow {

namespace asio = boost::asio;
namespace json = boost::json;
using sluice::http::admin_reply;

namespace {

admin_reply reply(unsigned status, const json::object& body) {
  return {status, "application/json", json::serialize(body)};
}

admin_reply error(unsigned status, std::string_view code, std::string_view message) {
  return reply(status, {{"error", code}, {"message", message}});
}

// The order a request body describes, or the reason it is not one.
std::variant<order_placed, std::string> parse_order(std::string_view body) {
  boost::system::error_code ec;
  const json::value v = json::parse(body, ec);
  if (ec) return "the body is not JSON: " + ec.message();
  const auto* o = v.if_object();
  if (!o) return std::string("the body must be a JSON object");
  order_placed order;
  const auto* sku = o->if_contains("sku");
  if (!sku || !sku->is_string() || sku->as_string().empty() || sku->as_string().size() > 64)
    return std::string("sku must be a string of 1 to 64 characters");
  order.sku = std::string(sku->as_string());
  const auto* qty = o->if_contains("quantity");
  if (!qty || !qty->is_int64() || qty->as_int64() < 1 || qty->as_int64() > 1000)
    return std::string("quantity must be an integer from 1 to 1000");
  order.quantity = static_cast<int>(qty->as_int64());
  const auto* price = o->if_contains("unit_price_cents");
  if (!price || !price->is_int64() || price->as_int64() < 0 || price->as_int64() > 100'000'000)
    return std::string("unit_price_cents must be an integer from 0 to 100000000");
  order.unit_price_cents = static_cast<long>(price->as_int64());
  return order;
}

asio::awaitable<admin_reply> place_order(sluice::engine& eng, std::atomic<long>& next_id, std::string_view body) {
  auto parsed = parse_order(body);
  if (auto* why = std::get_if<std::string>(&parsed)) co_return error(400, "invalid_order", *why);
  auto order = std::get<order_placed>(std::move(parsed));
  order.id = next_id.fetch_add(1, std::memory_order_relaxed);
  order.placed_at_ns = std::chrono::steady_clock::now().time_since_epoch().count();
  const sluice::enqueue_options options;
  auto [ec, id] = co_await eng.async_enqueue("orders", order, options, asio::as_tuple(asio::use_awaitable));
  if (ec) co_return error(503, "not_accepted", ec.message());
  co_return reply(202, {{"order_id", order.id}, {"message_id", id.to_string()}, {"correlation_id", id.to_string()}});
}

}  // namespace

sluice::http::app_routes order_routes(sluice::engine& eng, std::atomic<long>& next_id) {
  return [&eng, &next_id](const sluice::http::admin_request& r) -> asio::awaitable<std::optional<admin_reply>> {
    if (r.target != "/orders") co_return std::nullopt;
    if (r.method != "POST") co_return error(405, "method_not_allowed", "use POST /orders");
    co_return co_await place_order(eng, next_id, r.body);
  };
}

}  // namespace orderflow
