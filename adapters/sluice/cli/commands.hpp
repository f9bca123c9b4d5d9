// The sluice CLI's commands, one function each: it talks to the admin API through the client,
// prints a table (or the server's JSON) on `out` and errors as "sluice: <why>" on `err`, and
// returns the exit code (exit_codes.hpp). The argument parsing lives in adapters/cli/main.cpp.
// Thread-safety: one command at a time per context.
#pragma once

#include "sluice/cli/admin_client.hpp"
#include "sluice/cli/progress_bar.hpp"

#include <cstdint>
#include <ostream>
#include <string>

namespace sluice::cli {

enum class output_format { table, json };

// What every command gets. The client and streams must outlive the command.
struct command_context {
  const admin_client& client;
  output_format format = output_format::table;
  std::ostream& out;
  std::ostream& err;
  progress_display progress = progress_display::off;  // on: stderr is a terminal
  std::int64_t now_unix_ms = 0;                       // for ages ("5m ago")
};

struct health_options {
  bool detailed = false;  // add totals, p95, failure rate and dead letters by error type per queue
};
// 0 when healthy, 1 when degraded (both printed), else the failure's code.
[[nodiscard]] int run_health(const command_context& ctx, const health_options& options);

struct metrics_options {
  bool reset = false;  // POST /api/metrics/reset before reading
};
[[nodiscard]] int run_metrics(const command_context& ctx, const metrics_options& options);

struct list_options {
  std::string state = "all";  // pending, scheduled, inflight, dlq or all
  std::string queue;          // empty: any (so for type and correlation_id)
  std::string type;
  std::string correlation_id;
  std::uint64_t limit = 50;
  std::uint64_t offset = 0;
};
[[nodiscard]] int run_list(const command_context& ctx, const list_options& options);
// The same from a stopped engine's data directory (no admin API; refused while an engine holds it).
[[nodiscard]] int run_list_offline(const command_context& ctx, const std::string& data_dir,
                                   const list_options& options);

// One message's summary; a dead letter's reason, error and payload too.
[[nodiscard]] int run_show(const command_context& ctx, const std::string& id);

struct replay_flags {
  bool reset_attempts = false;  // the message starts over with a full retry budget
  bool force = false;           // replay quarantined letters too
};
[[nodiscard]] int run_replay_one(const command_context& ctx, const std::string& id, const replay_flags& flags);

struct dead_letter_selection {
  std::string queue;  // empty: every queue
  std::string error;  // substring of the error text; empty: any
};

struct dlq_replay_options {
  dead_letter_selection selection;
  replay_flags flags;
  std::uint64_t batch_size = 100;
  std::uint64_t delay_ms = 0;  // pause between batches
  std::uint64_t limit = 0;     // letters at most; 0: every letter counted at the start
  bool dry_run = false;        // one call that reports what would be replayed
};
// Replays in batches until a batch replays nothing, the limit is reached, or as many letters as
// matched at the start were replayed (a message that fails again returns to the dead-letter
// queue; counting stops it from being replayed twice by one run).
[[nodiscard]] int run_replay_batches(const command_context& ctx, const dlq_replay_options& options);

struct purge_options {
  dead_letter_selection selection;
  bool confirmed = false;  // --yes: purging cannot be undone
};
[[nodiscard]] int run_purge(const command_context& ctx, const purge_options& options);

[[nodiscard]] int run_snapshot(const command_context& ctx);

[[nodiscard]] int run_dlq_stats(const command_context& ctx, const dead_letter_selection& selection);

[[nodiscard]] int run_scale(const command_context& ctx, const std::string& queue, std::uint64_t workers);

}  // namespace sluice::cli
