// Message ids: unique, ordered by time, and a text form that round-trips and sorts the same way.
#include "sluice/message/message_id.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(message_id_suite)

BOOST_AUTO_TEST_CASE(ids_from_one_thread_increase_and_never_repeat) {
  sluice::id_generator gen(42);
  sluice::message_id prev = gen.next(1000ms);
  for (int i = 0; i < 10'000; ++i) {
    const auto ms = std::chrono::milliseconds(1000 + i / 100);
    const auto id = gen.next(ms);
    BOOST_TEST_REQUIRE((prev < id));
    prev = id;
  }
}

BOOST_AUTO_TEST_CASE(a_clock_stepping_back_does_not_make_ids_decrease) {
  sluice::id_generator gen(1);
  const auto later = gen.next(5000ms);
  const auto after_step_back = gen.next(4000ms);
  BOOST_TEST((later < after_step_back));
  BOOST_TEST(after_step_back.unix_time().count() == 5000);
}

BOOST_AUTO_TEST_CASE(ids_are_unique_across_threads) {
  sluice::id_generator gen(7);
  std::vector<std::vector<sluice::message_id>> per_thread(4);
  std::vector<std::thread> threads;
  for (auto& out : per_thread) {
    threads.emplace_back([&gen, &out] {
      for (int i = 0; i < 20'000; ++i) out.push_back(gen.next(1ms * (i / 1000)));
    });
  }
  for (auto& t : threads) t.join();
  std::set<sluice::message_id> all;
  for (auto& v : per_thread) all.insert(v.begin(), v.end());
  BOOST_TEST(all.size() == 80'000U);
}

BOOST_AUTO_TEST_CASE(a_new_generator_at_a_reused_address_continues_from_its_own_start) {
  // Threads take sequence numbers in blocks; a generator built where another one was must not
  // hand out what is left of the old one's block.
  std::optional<sluice::id_generator> gen;
  gen.emplace(3, 0);
  const auto first = gen->next(1000ms);
  BOOST_TEST(first.lo == 1U);
  gen.reset();
  gen.emplace(3, 1'000'000);
  BOOST_TEST(gen->next(1000ms).lo == 1'000'001U);
}

BOOST_AUTO_TEST_CASE(text_form_round_trips_and_sorts_like_the_numbers) {
  sluice::id_generator gen(0xBEEF);
  std::vector<sluice::message_id> ids;
  for (int i = 0; i < 100; ++i) ids.push_back(gen.next(std::chrono::milliseconds(1'700'000'000'000LL + i * 7)));
  std::vector<std::string> texts;
  for (const auto& id : ids) {
    const auto text = id.to_string();
    BOOST_TEST(text.size() == 26U);
    const auto parsed = sluice::message_id::parse(text);
    BOOST_TEST_REQUIRE(parsed.has_value());
    BOOST_TEST((*parsed == id));
    texts.push_back(text);
  }
  BOOST_TEST(std::is_sorted(texts.begin(), texts.end()));
  std::string lower_text = texts[3];
  for (auto& c : lower_text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto lower = sluice::message_id::parse(lower_text);
  BOOST_TEST((lower && *lower == ids[3]));
}

BOOST_AUTO_TEST_CASE(malformed_text_is_rejected) {
  BOOST_TEST(!sluice::message_id::parse(""));
  BOOST_TEST(!sluice::message_id::parse("01ARZ3NDEKTSV4RRFFQ69G5FA"));    // 25 chars
  BOOST_TEST(!sluice::message_id::parse("01ARZ3NDEKTSV4RRFFQ69G5FAVX"));  // 27 chars
  BOOST_TEST(!sluice::message_id::parse("01ARZ3NDEKTSV4RRFFQ69G5FAU"));   // U is not Crockford
  BOOST_TEST(!sluice::message_id::parse("81ARZ3NDEKTSV4RRFFQ69G5FAV"));   // overflows 128 bits
}

BOOST_AUTO_TEST_SUITE_END()
