// The admin API's routes (see admin_routes.hpp).
#include "sluice/http/admin_routes.hpp"

#include "sluice/http/dashboard_page.hpp"
#include "sluice/http/request_target.hpp"
#include "sluice/metrics/metrics_json.hpp"
#include "sluice/metrics/prometheus_text.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>

namespace sluice::http {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

admin_reply reply(unsigned status, const json::value& body) {
  return {status, "application/json", json::serialize(body)};
}

admin_reply error(unsigned status, std::string_view code, std::string_view message) {
  return reply(status, json::object{{"error", code}, {"message", message}});
}

std::int64_t unix_ms(sys_time t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

json::object letter_json(const dead_letter& d, bool with_payload) {
  json::object o{{"id", d.envelope.id.to_string()},
                 {"queue", d.queue},
                 {"type", d.envelope.type},
                 {"reason", to_string(d.reason)},
                 {"error_type", d.cause.error_type},
                 {"error", d.cause.what},
                 {"attempts", d.envelope.attempt},
                 {"replays", d.envelope.replays},
                 {"correlation_id", d.envelope.effective_correlation_id()},
                 {"first_failure_at_unix_ms", unix_ms(d.first_failure_at)},
                 {"dead_lettered_at_unix_ms", unix_ms(d.dead_lettered_at)},
                 {"payload_bytes", d.envelope.payload.size()}};
  if (with_payload) o["payload"] = d.envelope.payload;
  return o;
}

json::object message_json(const message_info& i) {
  return {{"id", i.id.to_string()},
          {"queue", i.queue},
          {"type", i.type},
          {"state", to_string(i.state)},
          {"attempt", i.attempt},
          {"replays", i.replays},
          {"correlation_id", i.correlation_id},
          {"payload_bytes", i.payload_bytes},
          {"enqueued_at_unix_ms", unix_ms(i.enqueued_at)},
          {"since_unix_ms", unix_ms(i.since)}};
}

// GET /api/messages and /api/messages/{id}.
admin_reply messages(engine& eng, const request_target& t) {
  const auto& p = t.path();
  if (p.size() == 3) {
    const auto id = message_id::parse(p[2]);
    if (!id) return error(400, "invalid_argument", "not a message id: " + p[2]);
    const auto found = eng.find_message(*id);
    if (!found) return error(404, "not_found", "no message " + p[2] + " (acknowledged, purged or never enqueued)");
    return reply(200, message_json(*found));
  }
  message_filter f;
  const std::string state = t.param("state");
  if (!state.empty() && state != "all") {
    f.state = parse_message_state(state);
    if (!f.state) return error(400, "invalid_argument", "state is one of pending, scheduled, inflight, dlq, all");
  }
  f.queue = t.param("queue");
  f.type = t.param("type");
  f.correlation_id = t.param("correlation_id");
  const auto limit = t.number("limit", 100);
  const auto offset = t.number("offset", 0);
  if (!limit || !offset) return error(400, "invalid_argument", "limit and offset must be non-negative integers");
  if (*limit > 10'000) return error(400, "invalid_argument", "limit is at most 10000");
  json::array list;
  for (const auto& i : eng.list_messages(f, *limit, *offset)) list.push_back(message_json(i));
  return reply(200, json::object{{"messages", std::move(list)}});
}

// The filter and replay options shared by the dead-letter routes; an error reply on bad input.
struct letter_query {
  dead_letter_filter filter;
  replay_options replay;
  std::uint64_t limit = 0;
  std::uint64_t offset = 0;
};

std::optional<admin_reply> read_letter_query(const request_target& t, letter_query& q, std::uint64_t default_limit) {
  q.filter.queue = t.param("queue");
  q.filter.error_contains = t.param("error");
  auto limit = t.number("limit", default_limit);
  auto offset = t.number("offset", 0);
  auto reset = t.flag("reset_attempts");
  auto force = t.flag("force");
  auto dry = t.flag("dry_run");
  if (!limit || !offset) return error(400, "invalid_argument", "limit and offset must be non-negative integers");
  if (!reset || !force || !dry) return error(400, "invalid_argument", "flags take 1/0, true/false or yes/no");
  q.limit = *limit;
  q.offset = *offset;
  q.replay.attempts = *reset ? replay_attempts::reset : replay_attempts::keep;
  q.replay.quarantined = *force ? replay_quarantined::force : replay_quarantined::skip;
  q.replay.dry_run = *dry;
  return std::nullopt;
}

admin_reply health(engine& eng) {
  const auto s = eng.stats();
  json::array queues;
  std::vector<std::string> problems;
  for (const auto& q : s.queues) {
    const std::uint64_t finished = q.processed + q.failed;
    queues.push_back(json::object{
        {"name", q.name},
        {"pending", q.pending},
        {"in_flight", q.in_flight},
        {"scheduled", q.scheduled},
        {"dead_letters", q.dead_letters},
        {"workers", q.workers},
        {"stuck_handlers", q.stuck_running},
        {"failure_rate", finished == 0 ? 0.0 : static_cast<double>(q.failed) / static_cast<double>(finished)},
        {"processing_p95_ms", static_cast<double>(q.processing.p95.count()) / 1e6}});
    if (q.stuck_running > 0) problems.push_back("queue " + q.name + " has stuck handlers");
  }
  if (s.snapshot.enabled && !s.snapshot.last_error.empty())
    problems.push_back("snapshots failing: " + s.snapshot.last_error);
  const bool degraded = !problems.empty();
  json::array why;
  for (auto& p : problems) why.push_back(json::string(p));
  return reply(degraded ? 503 : 200, json::object{{"status", degraded ? "degraded" : "ok"},
                                                  {"problems", std::move(why)},
                                                  {"queues", std::move(queues)}});
}

}  // namespace

bool tokens_equal(std::string_view presented, std::string_view expected) noexcept {
  // Every byte of `expected` is compared whatever `presented` holds; only the lengths leak.
  unsigned char diff = presented.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const unsigned char p = i < presented.size() ? static_cast<unsigned char>(presented[i]) : 0;
    diff |= static_cast<unsigned char>(p ^ static_cast<unsigned char>(expected[i]));
  }
  return diff == 0;
}

asio::awaitable<admin_reply> handle_admin_request(engine& eng, const admin_options& options, admin_request request) {
  const bool mutating = request.method == "POST";
  if (!mutating && request.method != "GET") co_return error(405, "method_not_allowed", "use GET or POST");
  // The dashboard page is static and holds no data: it asks for the token before reading any.
  if (!mutating && (request.target == "/" || request.target == "/dashboard")) {
    co_return admin_reply{200, "text/html; charset=utf-8", std::string(dashboard_page())};
  }
  if (mutating || options.token_for_reads) {
    if (options.token.empty()) {
      co_return error(403, "forbidden", "mutations are disabled: no admin token is configured");
    }
    constexpr std::string_view bearer = "Bearer ";
    const bool has = request.authorization.substr(0, bearer.size()) == bearer;
    if (!has || !tokens_equal(request.authorization.substr(has ? bearer.size() : 0), options.token)) {
      co_return error(401, "unauthorized", "a valid 'Authorization: Bearer <token>' header is required");
    }
  }
  auto target = request_target::parse(request.target);
  if (!target) co_return error(400, "invalid_argument", "malformed request target");
  const auto& p = target->path();
  auto is = [&](std::initializer_list<std::string_view> want) {
    if (p.size() != want.size()) return false;
    std::size_t i = 0;
    for (auto w : want) {
      if (w != "*" && p[i] != w) return false;
      ++i;
    }
    return true;
  };
  auto wrong_method = [&](std::string_view allowed) {
    return error(405, "method_not_allowed", "use " + std::string(allowed));
  };

  if (is({"healthz"})) co_return mutating ? wrong_method("GET") : health(eng);
  if (is({"metrics"})) {
    if (mutating) co_return wrong_method("GET");
    co_return admin_reply{200, "text/plain; version=0.0.4", metrics::prometheus_text(eng.stats())};
  }
  if (is({"api", "metrics"})) co_return mutating ? wrong_method("GET") : reply(200, metrics::metrics_json(eng.stats()));
  if (is({"api", "metrics", "reset"})) {
    if (!mutating) co_return wrong_method("POST");
    eng.reset_metrics();
    co_return reply(200, json::object{{"reset", true}});
  }

  if (is({"api", "dead-letters"}) || is({"api", "dead-letters", "stats"}) || is({"api", "dead-letters", "replay"}) ||
      is({"api", "dead-letters", "purge"})) {
    letter_query q;
    if (auto bad = read_letter_query(*target, q, p.size() == 2 ? 100 : SIZE_MAX)) co_return *bad;
    if (p.size() == 2) {
      if (mutating) co_return wrong_method("GET");
      if (q.limit > 10'000) co_return error(400, "invalid_argument", "limit is at most 10000");
      json::array letters;
      for (const auto& d : eng.dead_letters(q.filter, q.limit, q.offset)) letters.push_back(letter_json(d, false));
      co_return reply(200, json::object{{"dead_letters", std::move(letters)}});
    }
    if (p[2] == "stats") {
      if (mutating) co_return wrong_method("GET");
      json::object types;
      for (const auto& [type, n] : eng.dead_letter_error_types(q.filter)) types[type] = n;
      co_return reply(200, json::object{{"error_types", std::move(types)}});
    }
    if (!mutating) co_return wrong_method("POST");
    if (p[2] == "purge") co_return reply(200, json::object{{"purged", eng.purge_dead_letters(q.filter)}});
    const auto r = eng.replay_dead_letters(q.filter, q.replay, q.limit);
    co_return reply(200,
                    json::object{{"replayed", r.replayed}, {"quarantined", r.quarantined}, {"dry_run", r.dry_run}});
  }
  if (is({"api", "dead-letters", "*"}) || is({"api", "dead-letters", "*", "replay"})) {
    const auto id = message_id::parse(p[2]);
    if (!id) co_return error(400, "invalid_argument", "not a message id: " + p[2]);
    if (p.size() == 3) {
      if (mutating) co_return wrong_method("GET");
      const auto d = eng.find_dead_letter(*id);
      if (!d) co_return error(404, "not_found", "no dead letter " + p[2]);
      co_return reply(200, letter_json(*d, true));
    }
    if (!mutating) co_return wrong_method("POST");
    letter_query q;
    if (auto bad = read_letter_query(*target, q, 1)) co_return *bad;
    const auto ec = eng.replay_dead_letter(*id, q.replay);
    if (ec == errc::not_found) co_return error(404, "not_found", "no dead letter " + p[2]);
    if (ec == errc::quarantined) co_return error(409, "quarantined", ec.message());
    if (ec) co_return error(409, "refused", ec.message());
    co_return reply(200, json::object{{"replayed", p[2]}});
  }
  if (is({"api", "messages"}) || is({"api", "messages", "*"})) {
    co_return mutating ? wrong_method("GET") : messages(eng, *target);
  }
  if (is({"api", "queues", "*", "scale"})) {
    if (!mutating) co_return wrong_method("POST");
    const auto workers = target->number("workers", UINT64_MAX);
    if (!workers || *workers == UINT64_MAX) co_return error(400, "invalid_argument", "workers=N is required");
    const auto ec = eng.scale(p[2], static_cast<std::size_t>(*workers));
    if (ec == errc::unknown_queue) co_return error(404, "not_found", "no queue " + p[2]);
    if (ec == errc::invalid_argument) {
      co_return error(400, "invalid_argument",
                      "workers=" + std::to_string(*workers) + " is outside the queue's [min_workers, max_workers]");
    }
    if (ec) co_return error(409, "refused", ec.message());
    co_return reply(200, json::object{{"queue", p[2]}, {"workers", *workers}});
  }
  if (is({"api", "snapshot"})) {
    if (!mutating) co_return wrong_method("POST");
    auto [ec, r] = co_await eng.async_snapshot(asio::as_tuple(asio::use_awaitable));
    if (ec == errc::invalid_argument) co_return error(409, "no_snapshots", "this engine keeps no snapshots");
    if (ec == errc::not_running) co_return error(409, "not_running", ec.message());
    if (ec) co_return error(500, "snapshot_failed", ec.message());
    co_return reply(200, json::object{{"committed", r.committed},
                                      {"covered_lsn", r.covered_lsn},
                                      {"generation", r.generation},
                                      {"rows_written", r.rows_written},
                                      {"rows_erased", r.rows_erased},
                                      {"segments_deleted", r.segments_deleted},
                                      {"took_ms", static_cast<double>(r.took.count()) / 1e3}});
  }
  if (is({"api", "dedup", "*", "*"})) {
    if (mutating) co_return wrong_method("GET");
    const auto state = eng.inspect_dedup_key(p[2], p[3]);
    if (!state) co_return reply(200, json::object{{"queue", p[2]}, {"key", p[3]}, {"state", "free"}});
    const char* phase = state->what == dedup_key_state::phase::pending     ? "pending"
                        : state->what == dedup_key_state::phase::in_flight ? "in_flight"
                                                                           : "retained";
    co_return reply(200, json::object{{"queue", p[2]},
                                      {"key", p[3]},
                                      {"state", phase},
                                      {"message", state->message.to_string()},
                                      {"follow_up_held", state->follow_up_held},
                                      {"retained_until_unix_ms", unix_ms(state->retained_until)}});
  }
  co_return error(404, "not_found", "no such endpoint: " + std::string(request.target.substr(0, 200)));
}

}  // namespace sluice::http
