// OrderFlow's own HTTP route, served on the admin API's port beside the dashboard:
//
//   POST /orders  {"sku": "sku-1", "quantity": 2, "unit_price_cents": 1999}
//     202 {"order_id": 7, "message_id": "...", "correlation_id": "..."} once the order is durable;
//     400 with {"error", "message"} for a body that is not such an object; 503 when the engine
//     refuses (shutting down, disk full).
//
// Placing orders needs no token: it is the application's public API, not an admin operation.
#pragma once

#include "handlers.hpp"

#include <sluice/http/admin_server.hpp>

#include <atomic>

namespace orderflow {

// The routes for admin_server_options::routes; next_id numbers the orders (shared with the load).
[[nodiscard]] sluice::http::app_routes order_routes(sluice::engine& eng, std::atomic<long>& next_id);

}  // namespace orderflow
