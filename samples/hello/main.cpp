// The smallest useful embedding: one typed message, one handler, one enqueue, a clean stop.
#include <sluice/sluice.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <iostream>

namespace asio = boost::asio;

struct greeting {
  static constexpr std::string_view message_type = "hello.greeting";  // stable name, survives renames
  std::string name;
};

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const greeting& g) { v = {{"name", g.name}}; }
greeting tag_invoke(boost::json::value_to_tag<greeting>, const boost::json::value& v) {
  return {boost::json::value_to<std::string>(v.at("name"))};
}

int main() {
  asio::io_context ioc;
  sluice::engine eng(ioc.get_executor());
  auto greet = [&eng](greeting g, sluice::context& ctx) -> asio::awaitable<void> {
    std::cout << "hello, " << g.name << " (message " << ctx.id().to_string() << ")\n";
    eng.async_stop(std::chrono::seconds(5), [](boost::system::error_code) {});  // waits for this handler
    co_return;
  };
  if (auto ec = eng.handle<greeting>("greetings", greet)) return std::cerr << ec.message() << "\n", 1;
  if (auto ec = eng.start()) return std::cerr << ec.message() << "\n", 1;
  asio::co_spawn(
      ioc,
      [&eng]() -> asio::awaitable<void> {
        const greeting g{"world"};  // a local: g++ 12 mis-destroys temporaries inside co_await
        const auto id = co_await eng.async_enqueue("greetings", g, asio::use_awaitable);
        std::cout << "enqueued " << id.to_string() << "\n";
      },
      asio::detached);
  ioc.run();  // returns once the engine has stopped
}
