// W3C traceparent parsing and formatting, and per-attempt span ids.
#include <sluice/trace/trace_context.hpp>

#include <boost/test/unit_test.hpp>

using sluice::trace::trace_context;

BOOST_AUTO_TEST_SUITE(trace_context_suite)

BOOST_AUTO_TEST_CASE(round_trips_the_w3c_example) {
  const std::string tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const auto c = trace_context::parse(tp);
  BOOST_REQUIRE(c.has_value());
  BOOST_TEST(c->trace.hi == 0x4bf92f3577b34da6ULL);
  BOOST_TEST(c->trace.lo == 0xa3ce929d0e0e4736ULL);
  BOOST_TEST(c->span == 0x00f067aa0ba902b7ULL);
  BOOST_TEST(c->sampled);
  BOOST_TEST(c->to_traceparent() == tp);
  auto unsampled = *c;
  unsampled.sampled = false;
  BOOST_TEST(unsampled.to_traceparent().substr(53) == "00");
}

BOOST_AUTO_TEST_CASE(refuses_what_the_spec_says_to_ignore) {
  for (const char* bad : {"", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
                          "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // unknown version
                          "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  // zero trace id
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  // zero span id
                          "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  // uppercase
                          "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
                          "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}) {
    BOOST_TEST(!trace_context::parse(bad).has_value(), bad);
  }
}

BOOST_AUTO_TEST_CASE(attempt_span_ids_are_stable_distinct_and_non_zero) {
  const sluice::message_id id{0x1234, 0x5678};
  using sluice::trace::attempt_span_id;
  BOOST_TEST(attempt_span_id(id, 0, 1) == attempt_span_id(id, 0, 1));
  BOOST_TEST(attempt_span_id(id, 0, 1) != attempt_span_id(id, 0, 2));
  BOOST_TEST(attempt_span_id(id, 0, 1) != attempt_span_id(id, 1, 1));  // a replay that reset the attempts
  BOOST_TEST(attempt_span_id(id, 0, 1) != attempt_span_id({0x1234, 0x5679}, 0, 1));
  BOOST_TEST(sluice::trace::to_hex(std::uint64_t{0xab}) == "00000000000000ab");
}

BOOST_AUTO_TEST_SUITE_END()
