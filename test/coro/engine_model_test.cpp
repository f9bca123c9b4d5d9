// A seeded randomized model test: random enqueues (some deduplicated, some delayed), handler
// outcomes (success, retryable and permanent failures, snoozes, hangs that honour or ignore the
// timeout's cancellation), clock steps, releases of hung handlers, scale changes, replays and
// purges, checked against a small reference model:
//   nothing lost (at the end every message is acknowledged, purged or superseded by a newer one
//   for its dedup key), no double completion, a message never delivered or ready while
//   dead-lettered, attempt counts that never decrease, and the newest replacement's payload wins.
// Prints its seed; SLUICE_MODEL_SEED=N replays one run, SLUICE_MODEL_RUNS=N sets how many.
#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <vector>

namespace asio = boost::asio;
using namespace sluice_test;
using namespace std::chrono_literals;
using sluice::message_id;

namespace {

enum class state { live, dead, acked, purged, superseded };

const char* name(state s) {
  switch (s) {
    case state::live:
      return "live";
    case state::dead:
      return "dead-lettered";
    case state::acked:
      return "acknowledged";
    case state::purged:
      return "purged";
    case state::superseded:
      return "superseded";
  }
  return "?";
}

struct record {
  state s = state::live;
  std::uint32_t last_attempt = 0;
  int acks = 0;
  std::string key;  // "queue/key" or empty
};

enum class behaviour { succeed, fail, fail_permanently, snooze, hang, hang_ignoring_cancellation };

struct model_run {
  explicit model_run(std::uint64_t seed) : seed(seed), rng(seed), eng(ioc.get_executor(), options()) {
    for (const char* q : {"a", "b"}) {
      sluice::queue_options qo;
      qo.min_workers = 1;
      qo.max_workers = 4;
      qo.dead_letter_capacity = 100'000;
      BOOST_REQUIRE(!eng.declare_queue(q, qo));
      auto h = fixed_backoff(3, 100ms);
      if (std::string_view(q) == "a") {  // timeouts, stuck handlers, heartbeats
        h.timeout = 1s;
        h.stuck_grace = 500ms;
        h.lease_duration = 3s;
      } else {  // no timeout; leases expire without heartbeats
        h.timeout = 0ms;
        h.lease_duration = 1500ms;
        h.heartbeat = false;
      }
      BOOST_REQUIRE(!eng.handle<order>(
          q, [this](order o, sluice::context& ctx) -> asio::awaitable<void> { return handle(std::move(o), ctx); }, h));
    }
    BOOST_REQUIRE(!eng.start());
  }

  sluice::engine_options options() {
    auto o = manual_options(clock);
    o.random_seed = seed | 1;
    o.max_replays = 3;
    o.observer = [this](const sluice::settled_delivery& d) { observed(d); };
    return o;
  }

  void fail(const std::string& what) {
    if (violations.size() < 20) violations.push_back(what);
  }

  std::string describe(const message_id& id) const { return id.to_string(); }

  asio::awaitable<void> handle(order o, sluice::context& ctx) {
    auto it = records.find(ctx.id());
    if (it == records.end()) {
      fail("delivered an unknown message " + describe(ctx.id()));
      co_return;
    }
    record& r = it->second;
    if (r.s != state::live) fail("delivered " + describe(ctx.id()) + " while " + name(r.s));
    if (ctx.attempt() <= r.last_attempt) {
      fail("attempt went from " + std::to_string(r.last_attempt) + " to " + std::to_string(ctx.attempt()) + " for " +
           describe(ctx.id()));
    }
    r.last_attempt = ctx.attempt();
    (void)o;
    const behaviour b = final_phase ? behaviour::succeed : pick();
    switch (b) {
      case behaviour::succeed:
        co_return;
      case behaviour::fail:
        throw std::runtime_error("transient");
      case behaviour::fail_permanently:
        throw sluice::permanent_error("invalid");
      case behaviour::snooze:
        ctx.snooze(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 500)(rng)));
        co_return;
      case behaviour::hang: {
        auto g = std::make_shared<gate>(ioc);
        gates.push_back(g);
        co_await g->wait();  // throws when the timeout cancels it
        co_return;
      }
      case behaviour::hang_ignoring_cancellation: {
        auto g = std::make_shared<gate>(ioc);
        gates.push_back(g);
        co_await g->wait_ignoring_cancellation();
        co_return;
      }
    }
  }

  behaviour pick() {
    const int roll = std::uniform_int_distribution<int>(0, 99)(rng);
    if (roll < 55) return behaviour::succeed;
    if (roll < 70) return behaviour::fail;
    if (roll < 75) return behaviour::fail_permanently;
    if (roll < 80) return behaviour::snooze;
    if (roll < 92) return behaviour::hang;
    return behaviour::hang_ignoring_cancellation;
  }

  void observed(const sluice::settled_delivery& d) {
    auto it = records.find(d.envelope.id);
    if (it == records.end()) return fail("settled an unknown message");
    record& r = it->second;
    switch (d.outcome) {
      case sluice::settle_outcome::acknowledged: {
        if (++r.acks > 1) fail("acknowledged twice: " + describe(d.envelope.id));
        if (r.s != state::live) fail("acknowledged " + describe(d.envelope.id) + " while " + name(r.s));
        r.s = state::acked;
        if (!r.key.empty()) acked_versions[r.key].insert(payload_version(d.envelope.payload));
        break;
      }
      case sluice::settle_outcome::dead_lettered:
        if (r.s != state::live) fail("dead-lettered " + describe(d.envelope.id) + " while " + name(r.s));
        r.s = state::dead;
        break;
      case sluice::settle_outcome::superseded:
        if (r.s != state::live) fail("superseded " + describe(d.envelope.id) + " while " + name(r.s));
        r.s = state::superseded;
        break;
      default:
        break;  // retries, snoozes, and rejected stale outcomes leave the message live
    }
  }

  static int payload_version(const std::string& payload) {
    return boost::json::value_to<order>(boost::json::parse(payload)).id;
  }

  void enqueue() {
    const std::string q = std::uniform_int_distribution<int>(0, 1)(rng) == 0 ? "a" : "b";
    sluice::enqueue_options o;
    std::string key;
    if (std::uniform_int_distribution<int>(0, 9)(rng) < 3) {
      o.dedup_key = "k" + std::to_string(std::uniform_int_distribution<int>(0, 4)(rng));
      key = q + "/" + o.dedup_key;
    }
    if (std::uniform_int_distribution<int>(0, 4)(rng) == 0) {
      o.delay = std::chrono::milliseconds(std::uniform_int_distribution<int>(1, 2000)(rng));
    }
    const int version = ++serial;
    auto r = eng.try_enqueue(q, order{version, key}, o);
    if (!r) return fail("enqueue failed: " + r.error().message());
    auto [it, fresh] = records.try_emplace(*r);
    if (fresh) {
      it->second.key = key;
    } else if (it->second.s != state::live) {
      fail("an enqueue replaced " + describe(*r) + " while " + name(it->second.s));
    }
    if (!key.empty()) newest[key] = {version, *r};
  }

  std::set<message_id> dead_letter_ids(const sluice::dead_letter_filter& f = {}) {
    std::set<message_id> ids;
    for (const auto& l : eng.dead_letters(f, SIZE_MAX)) ids.insert(l.envelope.id);
    return ids;
  }

  // The engine's dead-letter queue and the model agree.
  void check_dead_letters() {
    const auto ids = dead_letter_ids();
    for (const auto& id : ids) {
      auto it = records.find(id);
      if (it == records.end() || it->second.s != state::dead) {
        fail("in the dead-letter queue but " + std::string(it == records.end() ? "unknown" : name(it->second.s)) +
             ": " + describe(id));
      }
    }
    for (const auto& [id, r] : records) {
      if (r.s == state::dead && !ids.contains(id)) fail("dead-lettered but missing from the queue: " + describe(id));
    }
  }

  void replay(bool reset, bool force) {
    sluice::dead_letter_filter f;
    if (std::uniform_int_distribution<int>(0, 2)(rng) == 0) f.queue = "a";
    const auto before = dead_letter_ids(f);
    sluice::replay_options o;
    o.attempts = reset ? sluice::replay_attempts::reset : sluice::replay_attempts::keep;
    o.quarantined = force ? sluice::replay_quarantined::force : sluice::replay_quarantined::skip;
    // Mark first: replayed messages may run (and settle) as soon as they are published.
    for (const auto& id : before) records[id].s = state::live;
    (void)eng.replay_dead_letters(f, o);
    const auto after = dead_letter_ids(f);
    for (const auto& id : after) records[id].s = state::dead;  // quarantined: still there
    if (reset) {
      for (const auto& id : before) {
        if (!after.contains(id)) records[id].last_attempt = 0;
      }
    }
  }

  void purge() {
    sluice::dead_letter_filter f;
    if (std::uniform_int_distribution<int>(0, 1)(rng) == 0) f.error_contains = "invalid";
    const auto before = dead_letter_ids(f);
    (void)eng.purge_dead_letters(f);
    for (const auto& id : before) records[id].s = state::purged;
  }

  void release_some() {
    for (auto& g : gates) {
      if (g && std::uniform_int_distribution<int>(0, 2)(rng) == 0) {
        g->open();
        g.reset();
      }
    }
    std::erase(gates, nullptr);
  }

  void step() {
    const int roll = std::uniform_int_distribution<int>(0, 99)(rng);
    if (roll < 35) {
      enqueue();
    } else if (roll < 65) {
      clock.advance(std::chrono::milliseconds(std::uniform_int_distribution<int>(1, 800)(rng)));
    } else if (roll < 78) {
      release_some();
    } else if (roll < 84) {
      const std::string q = roll % 2 == 0 ? "a" : "b";
      BOOST_CHECK(!eng.scale(q, static_cast<std::size_t>(std::uniform_int_distribution<int>(1, 4)(rng))));
    } else if (roll < 92) {
      replay(/*reset=*/false, /*force=*/false);
    } else if (roll < 95) {
      replay(/*reset=*/true, /*force=*/false);
    } else {
      purge();
    }
    drain(ioc);
  }

  bool quiet() {
    const auto s = eng.stats();
    for (const auto& q : s.queues) {
      if (q.pending || q.scheduled || q.in_flight || q.stuck_running || q.dead_letters) return false;
    }
    return true;
  }

  void finish() {
    final_phase = true;
    for (int round = 0; round < 200 && !quiet(); ++round) {
      for (auto& g : gates) g->open();
      gates.clear();
      clock.advance(5s);
      drain(ioc);
      replay(/*reset=*/false, /*force=*/true);
      drain(ioc);
    }
    if (!quiet()) fail("the engine did not settle");
    for (const auto& [id, r] : records) {
      if (r.s == state::live || r.s == state::dead) fail(std::string("lost: ") + describe(id) + " is " + name(r.s));
    }
    for (const auto& [key, v] : newest) {
      const record& r = records[v.second];
      if (r.s == state::purged) continue;
      if (!acked_versions[key].contains(v.first)) {
        fail("the newest payload (version " + std::to_string(v.first) + ") of key " + key + " was never acknowledged");
      }
    }
  }

  std::uint64_t seed;
  std::mt19937_64 rng;
  sluice::manual_clock clock;
  asio::io_context ioc;
  std::map<message_id, record> records;  // declared before the engine: the observer uses it
  std::map<std::string, std::set<int>> acked_versions;
  std::map<std::string, std::pair<int, message_id>> newest;  // key -> newest version and its message
  std::vector<std::shared_ptr<gate>> gates;
  std::vector<std::string> violations;
  bool final_phase = false;
  int serial = 0;
  sluice::engine eng;
};

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : fallback;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(engine_model_suite)

BOOST_AUTO_TEST_CASE(random_operations_keep_the_delivery_invariants) {
  const std::uint64_t fixed = env_or("SLUICE_MODEL_SEED", 0);
  const std::uint64_t runs = fixed != 0 ? 1 : env_or("SLUICE_MODEL_RUNS", 6);
  const std::uint64_t base = fixed != 0 ? fixed : std::random_device{}();
  constexpr int steps = 3000;
  for (std::uint64_t i = 0; i < runs; ++i) {
    const std::uint64_t seed = base + i;
    std::cerr << "engine model: seed " << seed << " (replay with SLUICE_MODEL_SEED=" << seed << ")\n";
    model_run run(seed);
    for (int s = 0; s < steps && run.violations.empty(); ++s) {
      run.step();
      if (s % 100 == 0) run.check_dead_letters();
    }
    run.check_dead_letters();
    run.finish();
    {
      std::map<state, int> by_state;
      for (const auto& [id, r] : run.records) ++by_state[r.s];
      std::uint64_t stuck = 0, expired = 0, timed_out = 0, lost = 0, snoozed = 0, retried = 0;
      for (const auto& q : run.eng.stats().queues) {
        stuck += q.stuck;
        expired += q.lease_expired;
        timed_out += q.timed_out;
        lost += q.lease_lost;
        snoozed += q.snoozed;
        retried += q.retried;
      }
      BOOST_TEST_MESSAGE("seed " << seed << ": " << run.records.size() << " messages, " << by_state[state::acked]
                                 << " acknowledged, " << by_state[state::purged] << " purged, "
                                 << by_state[state::superseded] << " superseded; " << retried << " retries, " << snoozed
                                 << " snoozes, " << timed_out << " timeouts, " << stuck << " stuck, " << expired
                                 << " leases expired, " << lost << " stale outcomes rejected");
    }
    std::ostringstream out;
    for (const auto& v : run.violations) out << "\n  " << v;
    BOOST_TEST(run.violations.empty(), "seed " << seed << ":" << out.str());
    BOOST_TEST(stop_engine(run.eng, run.ioc));
  }
}

BOOST_AUTO_TEST_SUITE_END()
