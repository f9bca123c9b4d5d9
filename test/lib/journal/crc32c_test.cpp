// CRC32C against RFC 3720 (iSCSI) appendix B.4 vectors, hardware against portable on random data
// of every length and alignment, incremental extension, and the mask round trip.
#include "sluice/journal/crc32c.hpp"

#include <boost/test/unit_test.hpp>

#include <array>
#include <cstdint>
#include <random>
#include <vector>

namespace crc = sluice::crc32c;

BOOST_AUTO_TEST_SUITE(crc32c_suite)

BOOST_AUTO_TEST_CASE(rfc3720_vectors) {
  std::array<std::uint8_t, 32> buf{};
  BOOST_TEST(crc::value(buf.data(), buf.size()) == 0x8a9136aaU);
  buf.fill(0xff);
  BOOST_TEST(crc::value(buf.data(), buf.size()) == 0x62a8ab43U);
  for (std::size_t i = 0; i < 32; ++i) buf[i] = static_cast<std::uint8_t>(i);
  BOOST_TEST(crc::value(buf.data(), buf.size()) == 0x46dd794eU);
  for (std::size_t i = 0; i < 32; ++i) buf[i] = static_cast<std::uint8_t>(31 - i);
  BOOST_TEST(crc::value(buf.data(), buf.size()) == 0x113fdb5cU);
  const std::array<std::uint8_t, 48> iscsi_read = {
      0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
      0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  BOOST_TEST(crc::value(iscsi_read.data(), iscsi_read.size()) == 0xd9963a56U);
  BOOST_TEST(crc::value("123456789") == 0xe3069283U);
  BOOST_TEST(crc::value("") == 0U);
}

BOOST_AUTO_TEST_CASE(hardware_and_portable_agree_on_every_length_and_alignment) {
  BOOST_TEST_MESSAGE("crc32c hardware accelerated: " << crc::hardware_accelerated());
  std::mt19937 rng(12345);
  std::vector<std::uint8_t> data(600);
  for (auto& b : data) b = static_cast<std::uint8_t>(rng());
  for (std::size_t offset = 0; offset < 8; ++offset) {
    for (std::size_t n = 0; n + offset <= 520; ++n) {
      BOOST_TEST_REQUIRE(crc::value(data.data() + offset, n) == crc::extend_portable(0, data.data() + offset, n));
    }
  }
}

BOOST_AUTO_TEST_CASE(extension_equals_one_pass) {
  const std::string s = "the quick brown fox jumps over the lazy dog";
  for (std::size_t cut = 0; cut <= s.size(); ++cut) {
    const auto first = crc::value(s.data(), cut);
    BOOST_TEST(crc::extend(first, s.data() + cut, s.size() - cut) == crc::value(s));
  }
}

BOOST_AUTO_TEST_CASE(mask_round_trips_and_changes_the_value) {
  for (std::uint32_t v : {0U, 1U, 0xe3069283U, 0xffffffffU}) {
    BOOST_TEST(crc::unmask(crc::mask(v)) == v);
    BOOST_TEST(crc::mask(v) != v);
  }
}

BOOST_AUTO_TEST_SUITE_END()
