// `sluice replay --dlq`: dead letters replayed in client-side batches (POST
// /api/dead-letters/replay?limit=<batch>), pausing between batches, with a progress bar against
// the count measured at the start (GET /api/dead-letters/stats). A replayed message that fails
// again returns to the dead-letter queue where a later batch would find it: the run stops after
// replaying as many letters as were there to replay at the start, so it always ends.
#include "sluice/cli/command_support.hpp"
#include "sluice/cli/format.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

namespace sluice::cli {

namespace json = boost::json;

namespace {

constexpr std::uint64_t unlimited = 10'000'000;  // "every letter" for the server's limit=

struct replay_totals {
  std::uint64_t matched = 0;      // letters matching the selection at the start
  std::uint64_t replayed = 0;     // (in a dry run: that would be)
  std::uint64_t quarantined = 0;  // left in the dead-letter queue, as of the last batch
  std::uint64_t batches = 0;
  double seconds = 0;
};

std::string replay_target(const dlq_replay_options& options, std::uint64_t limit, bool dry_run) {
  query_string q = selection_query(options.selection);
  q.add_number("limit", limit)
      .add_flag("dry_run", dry_run)
      .add_flag("reset_attempts", options.flags.reset_attempts)
      .add_flag("force", options.flags.force);
  return "/api/dead-letters/replay" + q.str();
}

void print_totals(const command_context& ctx, const dlq_replay_options& options, const replay_totals& totals) {
  if (ctx.format == output_format::json) {
    print_json(ctx, json::object{{"dry_run", options.dry_run},
                                 {"matched", totals.matched},
                                 {"replayed", totals.replayed},
                                 {"quarantined", totals.quarantined},
                                 {"batches", totals.batches},
                                 {"seconds", totals.seconds}});
    return;
  }
  if (totals.matched == 0) {
    ctx.out << "no dead letters match\n";
    return;
  }
  if (options.dry_run) {
    ctx.out << "dry run: " << totals.replayed << " of " << totals.matched << " matching dead letters would be replayed";
  } else {
    ctx.out << "replayed " << totals.replayed << " of " << totals.matched << " matching dead letters in "
            << totals.batches << (totals.batches == 1 ? " batch" : " batches") << " ("
            << format_duration_ms(totals.seconds * 1000) << ")";
  }
  if (totals.quarantined > 0) {
    ctx.out << "; " << totals.quarantined << " quarantined"
            << (options.flags.force ? "" : " (replayed too often; --force replays them)");
  }
  ctx.out << '\n';
}

// The number of letters matching the selection now, or the failure's exit code.
struct matched_count {
  std::uint64_t letters = 0;
  int exit = exit_ok;
};

matched_count count_matching(const command_context& ctx, const dead_letter_selection& selection) {
  const auto reply = get_object(ctx, "/api/dead-letters/stats" + selection_query(selection).str());
  if (!reply.ok()) return {0, reply.exit};
  return {sum_counts(object_field(reply.object(), "error_types")), exit_ok};
}

int dry_run(const command_context& ctx, const dlq_replay_options& options, replay_totals& totals) {
  const auto reply = post_object(ctx, replay_target(options, options.limit > 0 ? options.limit : unlimited, true));
  if (!reply.ok()) return reply.exit;
  totals.replayed = count_field(reply.object(), "replayed");
  totals.quarantined = count_field(reply.object(), "quarantined");
  print_totals(ctx, options, totals);
  return exit_ok;
}

// Batches until one replays nothing or `cap` letters were replayed; the exit code of a failed batch.
int replay_batches(const command_context& ctx, const dlq_replay_options& options, replay_totals& totals) {
  std::uint64_t cap = options.limit > 0 ? std::min(totals.matched, options.limit) : totals.matched;
  progress_bar bar(ctx.err, "replaying", cap, cap > 0 ? ctx.progress : progress_display::off);
  bar.update(0);
  while (totals.replayed < cap) {
    const std::uint64_t want = std::min(options.batch_size, cap - totals.replayed);
    const auto reply = post_object(ctx, replay_target(options, want, false));
    if (!reply.ok()) return reply.exit;
    ++totals.batches;
    const std::uint64_t replayed = count_field(reply.object(), "replayed");
    totals.replayed += replayed;
    totals.quarantined = count_field(reply.object(), "quarantined");
    if (totals.batches == 1 && !options.flags.force) {
      // Quarantined letters stay put, so only the rest can be replayed: without this a letter
      // failing again could be replayed a second time in place of those.
      const std::uint64_t replayable = totals.matched - std::min(totals.matched, totals.quarantined);
      cap = std::max(totals.replayed, std::min(cap, replayable));
      bar.set_total(cap);
    }
    bar.update(totals.replayed);
    if (replayed == 0) break;
    if (options.delay_ms > 0 && totals.replayed < cap) {
      std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<std::int64_t>(options.delay_ms)));
    }
  }
  return exit_ok;
}

}  // namespace

int run_replay_batches(const command_context& ctx, const dlq_replay_options& options) {
  const auto matched = count_matching(ctx, options.selection);
  if (matched.exit != exit_ok) return matched.exit;
  replay_totals totals;
  totals.matched = matched.letters;
  if (options.dry_run) return dry_run(ctx, options, totals);
  const auto started = std::chrono::steady_clock::now();
  const int code = replay_batches(ctx, options, totals);
  totals.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  // Printed after a failed batch too: what was replayed before it stays replayed.
  print_totals(ctx, options, totals);
  return code;
}

}  // namespace sluice::cli
