// sluice::version(): the linked library agrees with the headers' macros and names the on-disk
// formats it writes (docs/api.md, "Versions and compatibility").
#include "sluice/version.hpp"

#include "sluice/journal/checkout_ledger.hpp"
#include "sluice/journal/format.hpp"
#include "sluice/snapshot/snapshot_db.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

BOOST_AUTO_TEST_SUITE(version_suite)

BOOST_AUTO_TEST_CASE(the_library_reports_the_version_of_its_headers) {
  const auto v = sluice::version();
  BOOST_TEST(v.major == SLUICE_VERSION_MAJOR);
  BOOST_TEST(v.minor == SLUICE_VERSION_MINOR);
  BOOST_TEST(v.patch == SLUICE_VERSION_PATCH);
  BOOST_TEST(v.text == SLUICE_VERSION_STRING);
  BOOST_TEST(v.text == std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.patch));
  BOOST_TEST(SLUICE_VERSION == v.major * 10000 + v.minor * 100 + v.patch);
}

BOOST_AUTO_TEST_CASE(the_library_names_the_formats_it_writes_and_reads) {
  const auto v = sluice::version();
  BOOST_TEST(v.journal_format == sluice::journal::format_version);
  BOOST_TEST(v.oldest_journal_format == sluice::journal::oldest_format_version);
  BOOST_TEST(v.oldest_journal_format <= v.journal_format);
  BOOST_TEST(v.snapshot_format == sluice::snapshot::snapshot_format_version);
  BOOST_TEST(v.checkout_ledger_format == sluice::journal::checkout_ledger::format_version);
  // The promises in docs/api.md and CHANGELOG.md name these numbers: change them together.
  BOOST_TEST(v.journal_format == 3U);
  BOOST_TEST(v.snapshot_format == 2U);
  BOOST_TEST(v.checkout_ledger_format == 1U);
}

BOOST_AUTO_TEST_SUITE_END()
