// The admin API's HTTP server (Boost.Beast), running on the application's own executor: it
// accepts on 127.0.0.1 by default, reads each request with a header and body limit and an idle
// timeout, answers through admin_routes (JSON, /metrics, /healthz), and keeps connections alive.
// A request it cannot parse gets 400, one too large 413, both with a JSON error body. Request
// logs carry method, path, status and duration, never bodies.
// Thread-safety: construct, listen() and stop() from one thread; connections run as coroutines
// on the executor given.
#pragma once

#include "sluice/http/admin_routes.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace sluice::http {

// The application's own routes, served beside the admin API on the same port (OrderFlow's
// POST /orders): a reply, or nullopt to fall through to the admin routes.
using app_routes = std::function<boost::asio::awaitable<std::optional<admin_reply>>(const admin_request&)>;

struct admin_server_options {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: any free port (see port())
  admin_options admin;
  std::size_t max_header_bytes = 8192;
  std::size_t max_body_bytes = 65536;
  std::chrono::seconds idle_timeout{30};
  app_routes routes;  // empty: the admin API only
};

class admin_server {
 public:
  admin_server(engine& eng, boost::asio::any_io_executor ex, admin_server_options options);
  ~admin_server();
  admin_server(const admin_server&) = delete;
  admin_server& operator=(const admin_server&) = delete;

  // Binds and starts accepting. errc-style errors from the socket (address in use, ...).
  [[nodiscard]] boost::system::error_code listen();
  [[nodiscard]] std::uint16_t port() const noexcept;
  // Stops accepting and closes open connections; completes asynchronously.
  void stop();

  struct state;

 private:
  std::shared_ptr<state> state_;
};

}  // namespace sluice::http
