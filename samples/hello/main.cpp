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
  static constexpr std::string_view message_type = "hello.greeting";
  std::string name;
};

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const greeting& g) { v = {{"name", g.name}}; }
greeting tag_invoke(boost::json::value_to_tag<greeting>, const boost::json::value& v) {
  return {boost::json::value_to<std::string>(v.at("name"))};
}

asio::awaitable<void> greet(greeting g, sluice::context& ctx) {
  std::cout << "hello, " << g.name << " (message " << ctx.id().to_string() << ")\n";
  co_return;
}

asio::awaitable<void> produce(sluice::engine& eng) {
  const greeting g{"world"};  // a local: g++ 12 mis-destroys temporaries inside co_await
  auto id = co_await eng.async_enqueue("greetings", g, asio::use_awaitable);
  std::cout << "enqueued " << id.to_string() << "\n";
  // Stop waits for the in-flight greeting; messages still queued would stay queued.
  while (eng.stats().queues[0].processed == 0) co_await asio::post(eng.get_executor(), asio::use_awaitable);
  co_await eng.async_stop(std::chrono::seconds(5), asio::use_awaitable);
}

int main() {
  asio::io_context ioc;
  sluice::engine eng(ioc.get_executor());
  if (auto ec = eng.handle<greeting>("greetings", greet)) return std::cerr << ec.message() << "\n", 1;
  if (auto ec = eng.start()) return std::cerr << ec.message() << "\n", 1;
  asio::co_spawn(ioc, produce(eng), asio::detached);
  ioc.run();
}
