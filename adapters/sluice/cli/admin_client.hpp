// A small synchronous HTTP/1.1 client for the admin API (routes in sluice/http/admin_routes.hpp):
// one connection per request, one deadline covering resolve, connect, send and receive, the
// bearer token on every request when there is one, and the reply parsed when it is JSON.
// Thread-safety: a client may be shared; each call runs its own io_context on the caller's thread.
#pragma once

#include "sluice/http/endpoint.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::cli {

// One request's outcome: an HTTP answer (any status), or a transport failure with no answer.
struct admin_result {
  boost::system::error_code transport;  // set when no HTTP answer came back; status is then 0
  std::string transport_message;        // what failed and where, when `transport` is set
  unsigned status = 0;
  std::string body;
  std::optional<boost::json::value> json_body;  // the body parsed, when the reply is JSON

  [[nodiscard]] bool answered() const noexcept { return !transport; }
  [[nodiscard]] bool ok() const noexcept { return answered() && status >= 200 && status < 300; }
  // The body when it is a JSON object, else nullptr.
  [[nodiscard]] const boost::json::object* json_object() const noexcept;
  // Why it failed: the transport message, or the server's {"message"}, or the status and body.
  [[nodiscard]] std::string error_message() const;
};

class admin_client {
 public:
  // `token` empty: no Authorization header (the server then answers POSTs with 401 or 403).
  admin_client(http::endpoint server, std::string token, std::chrono::milliseconds timeout);

  // `path_and_query` starts with '/' and is already percent-encoded; the endpoint's prefix is
  // prepended. Never throws for network or HTTP failures: they come back in the result.
  [[nodiscard]] admin_result get(std::string_view path_and_query) const;
  [[nodiscard]] admin_result post(std::string_view path_and_query) const;

  [[nodiscard]] const http::endpoint& server() const noexcept { return server_; }

 private:
  http::endpoint server_;
  std::string token_;
  std::chrono::milliseconds timeout_;
};

}  // namespace sluice::cli
