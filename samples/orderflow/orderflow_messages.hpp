// The OrderFlow demo's messages and their JSON mapping (Boost.JSON tag_invoke).
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace orderflow {

struct order_placed {
  static constexpr std::string_view message_type = "orderflow.order_placed";
  long id = 0;
  std::string sku;
  int quantity = 0;
  long unit_price_cents = 0;
  std::int64_t placed_at_ns = 0;  // steady clock, for the demo's end-to-end latency
};

struct payment_requested {
  static constexpr std::string_view message_type = "orderflow.payment_requested";
  long order_id = 0;
  long amount_cents = 0;
  std::int64_t placed_at_ns = 0;
};

struct shipment_requested {
  static constexpr std::string_view message_type = "orderflow.shipment_requested";
  long order_id = 0;
  std::string sku;
  int quantity = 0;
  std::int64_t placed_at_ns = 0;
};

struct notification_requested {
  static constexpr std::string_view message_type = "orderflow.notification_requested";
  long order_id = 0;
  std::string text;
  std::int64_t placed_at_ns = 0;
};

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const order_placed& o) {
  v = {{"id", o.id},
       {"sku", o.sku},
       {"quantity", o.quantity},
       {"unit_price_cents", o.unit_price_cents},
       {"placed_at_ns", o.placed_at_ns}};
}
inline order_placed tag_invoke(boost::json::value_to_tag<order_placed>, const boost::json::value& v) {
  const auto& o = v.as_object();
  return {boost::json::value_to<long>(o.at("id")), boost::json::value_to<std::string>(o.at("sku")),
          boost::json::value_to<int>(o.at("quantity")), boost::json::value_to<long>(o.at("unit_price_cents")),
          boost::json::value_to<std::int64_t>(o.at("placed_at_ns"))};
}

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const payment_requested& p) {
  v = {{"order_id", p.order_id}, {"amount_cents", p.amount_cents}, {"placed_at_ns", p.placed_at_ns}};
}
inline payment_requested tag_invoke(boost::json::value_to_tag<payment_requested>, const boost::json::value& v) {
  const auto& o = v.as_object();
  return {boost::json::value_to<long>(o.at("order_id")), boost::json::value_to<long>(o.at("amount_cents")),
          boost::json::value_to<std::int64_t>(o.at("placed_at_ns"))};
}

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const shipment_requested& s) {
  v = {{"order_id", s.order_id}, {"sku", s.sku}, {"quantity", s.quantity}, {"placed_at_ns", s.placed_at_ns}};
}
inline shipment_requested tag_invoke(boost::json::value_to_tag<shipment_requested>, const boost::json::value& v) {
  const auto& o = v.as_object();
  return {boost::json::value_to<long>(o.at("order_id")), boost::json::value_to<std::string>(o.at("sku")),
          boost::json::value_to<int>(o.at("quantity")), boost::json::value_to<std::int64_t>(o.at("placed_at_ns"))};
}

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const notification_requested& n) {
  v = {{"order_id", n.order_id}, {"text", n.text}, {"placed_at_ns", n.placed_at_ns}};
}
inline notification_requested tag_invoke(boost::json::value_to_tag<notification_requested>,
                                         const boost::json::value& v) {
  const auto& o = v.as_object();
  return {boost::json::value_to<long>(o.at("order_id")), boost::json::value_to<std::string>(o.at("text")),
          boost::json::value_to<std::int64_t>(o.at("placed_at_ns"))};
}

}  // namespace orderflow
