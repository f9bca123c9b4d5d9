// SLUICE_FORM 0: the safe forms (locals); 1-8: one form the g++ 12 guard must catch each
// (sluice/detail/coawait_temporaries.hpp): with g++ 12 each is a compile error carrying the guard's message, with other
// compilers each compiles (test/CMakeLists.txt, coawait_temporaries_suite). Built only by that test.
#include <sluice/sluice.hpp>

#include <boost/asio/use_awaitable.hpp>

#include <string>

namespace asio = boost::asio;

namespace {

struct order {
  static constexpr std::string_view message_type = "compile.order";
  int id = 0;
  std::string item;  // owns memory: a temporary order has a non-trivial destructor
};
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const order& o) {
  v = {{"id", o.id}, {"item", o.item}};
}
order tag_invoke(boost::json::value_to_tag<order>, const boost::json::value& v) {
  return {boost::json::value_to<int>(v.at("id")), boost::json::value_to<std::string>(v.at("item"))};
}

struct ping {
  static constexpr std::string_view message_type = "compile.ping";
  int n = 0;
};
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const ping& p) { v = {{"n", p.n}}; }
ping tag_invoke(boost::json::value_to_tag<ping>, const boost::json::value& v) {
  return {boost::json::value_to<int>(v.at("n"))};
}

std::string make_payload() { return R"({"id": 1})"; }

[[maybe_unused]] asio::awaitable<void> produce(sluice::engine& eng) {
  const order o{1, "book"};
  const sluice::enqueue_options opts;
  const sluice::enqueue_options keyed{.dedup_key = "order-1"};
  const std::string payload = make_payload();
#if SLUICE_FORM == 0  // the forms to write instead: locals
  co_await eng.async_enqueue("orders", o, asio::use_awaitable);
  co_await eng.async_enqueue("orders", o, keyed, asio::use_awaitable);
  co_await eng.async_enqueue_raw("orders", "compile.order", payload, opts, asio::use_awaitable);
  co_await eng.async_enqueue_raw("orders", "compile.order", R"({"id": 1})", opts, asio::use_awaitable);
  co_await eng.async_enqueue("pings", ping{3}, asio::use_awaitable);  // nothing to destroy: no hazard
#elif SLUICE_FORM == 1                                                // a temporary message
  co_await eng.async_enqueue("orders", order{1, "book"}, asio::use_awaitable);
#elif SLUICE_FORM == 2                                                // a temporary message with options
  co_await eng.async_enqueue("orders", order{1, "book"}, opts, asio::use_awaitable);
#elif SLUICE_FORM == 3                                                // default options spelled {}
  co_await eng.async_enqueue("orders", o, {}, asio::use_awaitable);
#elif SLUICE_FORM == 4                                                // designated options
  co_await eng.async_enqueue("orders", o, {.dedup_key = "order-1"}, asio::use_awaitable);
#elif SLUICE_FORM == 5                                                // a std::string payload temporary
  co_await eng.async_enqueue_raw("orders", "compile.order", make_payload(), opts, asio::use_awaitable);
#elif SLUICE_FORM == 6                                                // temporary options on a raw enqueue
  co_await eng.async_enqueue_raw("orders", "compile.order", R"({"id": 1})", sluice::enqueue_options{},
                                 asio::use_awaitable);
#endif
  co_return;
}

[[maybe_unused]] asio::awaitable<void> chain(sluice::context& ctx) {
  const order o{2, "pen"};
  const sluice::enqueue_options opts;
#if SLUICE_FORM == 0
  co_await ctx.async_enqueue("orders", o, asio::use_awaitable);
  co_await ctx.async_enqueue("orders", o, opts, asio::use_awaitable);
#elif SLUICE_FORM == 7  // a handler's follow-up, temporary message
  co_await ctx.async_enqueue("orders", order{2, "pen"}, asio::use_awaitable);
#elif SLUICE_FORM == 8  // a handler's follow-up, temporary options
  co_await ctx.async_enqueue("orders", o, sluice::enqueue_options{.ordering_key = "c-7"}, asio::use_awaitable);
#endif
  co_return;
}

}  // namespace

int main() { return 0; }
