// The sluice error category: named, readable, stable values, and a default for unknown ones.
#include "sluice/error.hpp"
#include "print.hpp"

#include <boost/test/unit_test.hpp>

#include <set>
#include <string>

BOOST_AUTO_TEST_SUITE(error_suite)

BOOST_AUTO_TEST_CASE(codes_carry_the_sluice_category_and_readable_messages) {
  const boost::system::error_code ec = sluice::errc::queue_full;
  BOOST_TEST(ec.category().name() == std::string("sluice"));
  BOOST_TEST(ec.message() == "queue is full");
  BOOST_TEST(static_cast<int>(sluice::errc::queue_full) == 1);
  BOOST_TEST(ec == sluice::errc::queue_full);
  BOOST_TEST(ec != sluice::errc::payload_too_large);
}

BOOST_AUTO_TEST_CASE(every_value_has_its_own_message_and_unknown_values_are_named) {
  std::set<std::string> messages;
  for (int v = 1; v <= static_cast<int>(sluice::errc::snapshot_corrupt); ++v) {
    messages.insert(sluice::make_error_code(static_cast<sluice::errc>(v)).message());
  }
  BOOST_TEST(messages.size() == static_cast<std::size_t>(sluice::errc::snapshot_corrupt));
  BOOST_TEST(sluice::error_category().message(9999) == "unknown sluice error 9999");
}

BOOST_AUTO_TEST_SUITE_END()
