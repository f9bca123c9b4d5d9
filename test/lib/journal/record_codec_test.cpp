// Journal record payloads: every event type round-trips; every truncation and trailing byte is
// rejected (never a crash); and the rebuilt state follows enqueue, checkout, retry, snooze,
// dead-letter, replay, purge, replace and ack, returning in-flight messages with their attempt.
#include "sluice/journal/record_codec.hpp"
#include "sluice/journal/journal_state.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>
#include <random>

namespace j = sluice::journal;
using namespace std::chrono_literals;

namespace {

sluice::message_id id(std::uint64_t n) { return sluice::message_id{n << 16, n}; }

sluice::sys_time at(int seconds) { return sluice::sys_time(std::chrono::seconds(1'700'000'000 + seconds)); }

j::enqueue_event enqueue(std::uint64_t n, std::string payload = "{\"id\":1}") {
  j::enqueue_event e;
  e.queue = "orders";
  e.m.id = id(n);
  e.m.type = "shop.order";
  e.m.payload = std::move(payload);
  e.m.correlation_id = "corr";
  e.m.causation_id = id(99);
  e.m.headers = {{"k", "v"}, {"trace", "00-abc"}};
  e.m.dedup_key = "d";
  e.m.ordering_key = "o";
  e.m.enqueued_at = at(1);
  return e;
}

std::vector<j::event> samples() {
  std::vector<j::event> all;
  all.emplace_back(enqueue(1));
  all.emplace_back(j::checkout_event{id(1), 3, 7});
  all.emplace_back(j::ack_event{id(1)});
  all.emplace_back(j::reschedule_event{id(2), at(5), 2, 1, at(3), false});
  all.emplace_back(j::reschedule_event{id(2), at(6), 2, 2, at(3), true});
  all.emplace_back(j::dead_letter_event{id(3), sluice::dead_letter_reason::permanent_failure,
                                        sluice::failure{"std::invalid_argument", "bad sku"}, at(1), at(2), at(3)});
  all.emplace_back(j::replay_event{id(3), true});
  all.emplace_back(j::purge_event{id(4)});
  all.emplace_back(j::replace_event{id(5), "new payload", {{"h", "1"}}});
  all.emplace_back(j::lease_event{id(6), 9, at(10)});
  return all;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(record_codec_suite)

BOOST_AUTO_TEST_CASE(every_event_round_trips) {
  for (const auto& e : samples()) {
    std::string bytes;
    const auto type = j::encode_event(e, bytes);
    auto back = j::decode_event(type, bytes);
    BOOST_REQUIRE(back.has_value());
    std::string again;
    BOOST_TEST((j::encode_event(*back, again) == type));
    BOOST_TEST(again == bytes);
  }
  std::string bytes;
  (void)j::encode_event(enqueue(1), bytes);
  const auto e = std::get<j::enqueue_event>(*j::decode_event(j::record_type::enqueue, bytes));
  BOOST_TEST(e.queue == "orders");
  BOOST_TEST(e.m.headers.size() == 2U);
  BOOST_TEST((e.m.enqueued_at == at(1)));
  BOOST_TEST((e.m.causation_id == id(99)));
}

BOOST_AUTO_TEST_CASE(truncations_trailing_bytes_and_wrong_types_are_rejected) {
  for (const auto& e : samples()) {
    std::string bytes;
    const auto type = j::encode_event(e, bytes);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      BOOST_TEST_REQUIRE(!j::decode_event(type, std::string_view(bytes).substr(0, n)).has_value());
    }
    BOOST_TEST(!j::decode_event(type, bytes + "x").has_value());
  }
  BOOST_TEST(!j::decode_event(static_cast<j::record_type>(200), "").has_value());
}

// Recovery decodes enqueues in place, into the heap message the engine keeps: the same fields,
// and the same rejections, as decode_event.
BOOST_AUTO_TEST_CASE(an_enqueue_decoded_in_place_matches_the_event_and_rejects_what_it_rejects) {
  std::string bytes;
  (void)j::encode_event(enqueue(1), bytes);
  j::durable_message d;
  BOOST_REQUIRE(j::decode_enqueue(bytes, d.queue, *d.m));
  j::place_enqueued(d, 42);
  const auto from_event = j::enqueued(42, std::get<j::enqueue_event>(*j::decode_event(j::record_type::enqueue, bytes)));
  std::string a;
  std::string b;
  j::encode_enqueue(d.queue, *d.m, a);
  j::encode_enqueue(from_event.queue, *from_event.m, b);
  BOOST_TEST(a == bytes);
  BOOST_TEST(b == bytes);
  BOOST_TEST((d.place == from_event.place));
  BOOST_TEST(d.order == 42U);
  BOOST_TEST(d.last_lsn == 42U);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    j::durable_message cut;
    BOOST_TEST_REQUIRE(!j::decode_enqueue(std::string_view(bytes).substr(0, n), cut.queue, *cut.m));
  }
  j::durable_message longer;
  BOOST_TEST(!j::decode_enqueue(bytes + "x", longer.queue, *longer.m));
}

BOOST_AUTO_TEST_CASE(random_bytes_never_crash_the_decoder) {
  std::mt19937 rng(7);
  for (int i = 0; i < 20'000; ++i) {
    std::string bytes(rng() % 64, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    (void)j::decode_event(static_cast<j::record_type>(1 + rng() % 11), bytes);
  }
}

BOOST_AUTO_TEST_CASE(the_state_follows_the_message_lifecycle) {
  j::journal_state s;
  std::uint64_t lsn = 0;
  for (std::uint64_t n = 1; n <= 6; ++n) s.apply(++lsn, enqueue(n));
  s.apply(++lsn, j::ack_event{id(1)});             // 1: done
  s.apply(++lsn, j::checkout_event{id(2), 1, 1});  // 2: in flight at the crash
  s.apply(++lsn, j::checkout_event{id(3), 1, 1});  // 3: failed, retry scheduled
  s.apply(++lsn, j::reschedule_event{id(3), at(60), 1, 0, at(2), false});
  s.apply(++lsn, j::checkout_event{id(4), 1, 1});  // 4: dead-lettered, replayed, dead again
  s.apply(++lsn,
          j::dead_letter_event{id(4), sluice::dead_letter_reason::retries_exhausted, {"E", "w"}, at(1), at(2), at(2)});
  s.apply(++lsn, j::replay_event{id(4), false});
  s.apply(++lsn, j::checkout_event{id(4), 2, 2});
  s.apply(++lsn,
          j::dead_letter_event{id(4), sluice::dead_letter_reason::retries_exhausted, {"E", "w2"}, at(1), at(3), at(3)});
  s.apply(++lsn,
          j::dead_letter_event{id(5), sluice::dead_letter_reason::permanent_failure, {"P", "x"}, at(1), at(1), at(1)});
  s.apply(++lsn, j::purge_event{id(5)});                  // 5: purged
  s.apply(++lsn, j::replace_event{id(6), "newest", {}});  // 6: pending, replaced
  s.apply(++lsn, j::ack_event{id(42)});                   // unknown: a contradiction
  const auto r = s.recovered();
  BOOST_REQUIRE(r.ready.size() == 1U);
  BOOST_TEST((r.ready[0].m->id == id(6)));
  BOOST_TEST(r.ready[0].m->payload == "newest");
  BOOST_REQUIRE(r.in_flight.size() == 1U);
  BOOST_TEST((r.in_flight[0].m->id == id(2)));
  BOOST_TEST(r.in_flight[0].m->attempt == 1U);
  BOOST_REQUIRE(r.scheduled.size() == 1U);
  BOOST_TEST((r.scheduled[0].due == at(60)));
  BOOST_REQUIRE(r.dead.size() == 1U);
  BOOST_TEST(r.dead[0].letter->cause.what == "w2");
  BOOST_TEST(r.dead[0].letter->envelope.replays == 1U);
  BOOST_TEST(r.dead[0].letter->envelope.attempt == 2U);
  BOOST_TEST(r.contradictions == 1U);
  BOOST_TEST((r.largest_id == id(6)));
}

// The state keeps its messages in arrival order and drops ended ones in compactions: after
// thousands of acks (several compactions), later events still find the survivors, ready ones come
// back in order, and a replay (a later order) sorts behind them.
BOOST_AUTO_TEST_CASE(the_state_keeps_arrival_order_through_compactions) {
  j::journal_state s;
  std::uint64_t lsn = 0;
  constexpr std::uint64_t n = 10'000;
  s.reserve(n);
  for (std::uint64_t i = 1; i <= n; ++i) {
    s.apply(++lsn, enqueue(i));
    if (i % 4 != 0 && i > 1) s.apply(++lsn, j::ack_event{id(i - 1)});  // acks trail their enqueues
  }
  std::vector<std::uint64_t> alive;  // 3, 7, 11, ..., 9999 and the last
  for (std::uint64_t i = 1; i <= n; ++i) {
    const bool acked = i < n && (i + 1) % 4 != 0;
    if (!acked) alive.push_back(i);
  }
  BOOST_REQUIRE(s.size() == alive.size());
  // Events after the compactions find their messages.
  s.apply(++lsn, j::checkout_event{id(alive[1]), 1, 1});
  s.apply(++lsn, j::checkout_event{id(alive[0]), 1, 1});
  s.apply(++lsn, j::dead_letter_event{
                     id(alive[0]), sluice::dead_letter_reason::permanent_failure, {"P", "x"}, at(1), at(1), at(1)});
  s.apply(++lsn, j::replay_event{id(alive[0]), true});  // ready again, behind everything
  const auto copy = s.recovered();
  const auto r = s.take();
  BOOST_TEST(r.contradictions == 0U);
  BOOST_REQUIRE(r.in_flight.size() == 1U);
  BOOST_TEST((r.in_flight[0].m->id == id(alive[1])));
  BOOST_REQUIRE(r.ready.size() == alive.size() - 1);
  BOOST_TEST((r.ready.back().m->id == id(alive[0])));
  BOOST_TEST(r.ready.back().m->replays == 1U);
  for (std::size_t k = 0; k + 1 < r.ready.size(); ++k) {
    BOOST_TEST_REQUIRE((r.ready[k].m->id == id(alive[k + 2])));
  }
  BOOST_REQUIRE(copy.ready.size() == r.ready.size());
  for (std::size_t k = 0; k < r.ready.size(); ++k) BOOST_TEST_REQUIRE((copy.ready[k].m->id == r.ready[k].m->id));
  BOOST_TEST(s.size() == 0U);
}

// The state indexes ids lazily (only when an event names an earlier message, or an id that is
// not above every id so far arrives): against a plain map as the reference, random journals of
// rising, falling and repeated ids, acks, checkouts and purges give the same messages, attempts,
// order and contradiction count.
BOOST_AUTO_TEST_CASE(the_lazily_indexed_state_agrees_with_a_plain_map_on_random_journals) {
  std::mt19937 rng(11);
  for (int round = 0; round < 200; ++round) {
    j::journal_state s;
    if (round % 2 == 0) s.reserve(64);
    struct ref_message {
      std::uint64_t order = 0;
      std::uint32_t attempt = 0;
    };
    std::map<std::uint64_t, ref_message> ref;
    std::uint64_t contradictions = 0;
    std::uint64_t lsn = 0;
    std::uint64_t next = 1000;
    const int events = 1 + static_cast<int>(rng() % 3000);
    for (int k = 0; k < events; ++k) {
      const auto dice = rng() % 10;
      // Mostly rising ids (one generator), some from below (another producer), some repeats.
      std::uint64_t n = dice < 5 ? ++next : (dice < 7 ? 1 + rng() % next : 990 + rng() % 20);
      ++lsn;
      if (dice < 8 || ref.empty()) {
        s.apply(lsn, enqueue(n));
        if (ref.contains(n)) {
          ++contradictions;
        } else {
          ref[n] = ref_message{lsn, 0};
        }
      } else {
        if (rng() % 3 != 0 && !ref.empty()) {
          auto it = ref.begin();
          std::advance(it, static_cast<long>(rng() % ref.size()));
          n = it->first;
        }
        const bool known = ref.contains(n);
        switch (rng() % 3) {
          case 0:
            s.apply(lsn, j::ack_event{id(n)});
            ref.erase(n);
            break;
          case 1:
            s.apply(lsn, j::purge_event{id(n)});
            ref.erase(n);
            break;
          default:
            s.apply(lsn, j::checkout_event{id(n), 1, 1});
            if (known) ref[n].attempt = 1;
            break;
        }
        contradictions += known ? 0 : 1;
      }
    }
    BOOST_TEST_REQUIRE(s.size() == ref.size());
    const auto r = s.take();
    BOOST_TEST_REQUIRE(r.contradictions == contradictions, "round " << round);
    std::vector<std::pair<std::uint64_t, std::uint64_t>> want;  // (order, id)
    for (const auto& [n, m] : ref) {
      if (m.attempt == 0) want.emplace_back(m.order, n);
    }
    std::sort(want.begin(), want.end());
    BOOST_TEST_REQUIRE(r.ready.size() == want.size(), "round " << round);
    for (std::size_t k = 0; k < want.size(); ++k) BOOST_TEST_REQUIRE((r.ready[k].m->id == id(want[k].second)));
    std::size_t in_flight = 0;
    for (const auto& [n, m] : ref) in_flight += m.attempt == 1 ? 1 : 0;
    BOOST_TEST_REQUIRE(r.in_flight.size() == in_flight);
    for (const auto& d : r.in_flight) BOOST_TEST_REQUIRE(d.m->attempt == 1U);
  }
}

BOOST_AUTO_TEST_SUITE_END()
