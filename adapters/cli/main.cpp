// `sluice`, the operator's command line for a running engine's admin API, and offline for a
// stopped engine's data directory (stats, backup) (docs/operations.md):
// argument parsing with CLI11 and dispatch to sluice/cli/commands.hpp. Exit codes: 0 ok,
// 1 failed or not found, 2 usage, 3 engine unreachable, 4 unauthorized (exit_codes.hpp).
#include "sluice/cli/admin_client.hpp"
#include "sluice/cli/commands.hpp"
#include "sluice/cli/data_dir_commands.hpp"
#include "sluice/cli/exit_codes.hpp"
#include "sluice/http/endpoint.hpp"

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

namespace {

namespace cli = sluice::cli;

struct global_options {
  std::string url = "http://127.0.0.1:8080";
  std::string data_dir;  // the offline commands' directory
  std::string format = "table";
  std::uint64_t timeout_ms = 5000;
};

// Everything a command line can hold; the subcommand given picks what it needs.
struct parsed_options {
  global_options global;
  cli::health_options health;
  cli::metrics_options metrics;
  cli::list_options list;
  std::string show_id;
  std::string replay_id;
  bool replay_many = false;  // --dlq
  cli::dlq_replay_options replay;
  bool purge_dlq = false;
  cli::purge_options purge;
  cli::dead_letter_selection dlq_stats;
  std::string scale_queue;
  std::uint64_t scale_workers = 0;
  std::string backup_out;
};

struct subcommands {
  CLI::App* health = nullptr;
  CLI::App* metrics = nullptr;
  CLI::App* list = nullptr;
  CLI::App* show = nullptr;
  CLI::App* replay = nullptr;
  CLI::App* purge = nullptr;
  CLI::App* snapshot = nullptr;
  CLI::App* dlq_stats = nullptr;
  CLI::App* scale = nullptr;
  CLI::App* stats = nullptr;   // offline
  CLI::App* backup = nullptr;  // offline
};

void add_global_options(CLI::App& app, global_options& g) {
  app.add_option("--url", g.url, "the engine's admin API: http://host:port[/prefix] (env SLUICE_URL)")
      ->envname("SLUICE_URL")
      ->capture_default_str();
  app.add_option("--data-dir", g.data_dir, "a stopped engine's data directory (offline: stats, backup, list)");
  app.add_option("--format", g.format, "table for people, json for scripts")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  app.add_option("--timeout-ms", g.timeout_ms, "give up on a request after this many milliseconds")
      ->check(CLI::Range(1, 3'600'000))
      ->capture_default_str();
}

void add_selection_options(CLI::App& sub, cli::dead_letter_selection& s) {
  sub.add_option("--queue", s.queue, "only this queue's dead letters");
  sub.add_option("--error", s.error, "only letters whose error text contains TEXT");
}

CLI::App* add_list(CLI::App& app, cli::list_options& o) {
  auto* sub = app.add_subcommand("list", "list messages by state, queue, type or correlation id");
  sub->add_option("--state", o.state, "pending, scheduled, inflight, dlq or all")
      ->required()
      ->check(CLI::IsMember({"pending", "scheduled", "inflight", "dlq", "all"}));
  sub->add_option("--queue", o.queue, "only this queue");
  sub->add_option("--type", o.type, "only this message type");
  sub->add_option("--correlation", o.correlation_id, "only this correlation id");
  sub->add_option("--limit", o.limit, "at most this many")->check(CLI::Range(1, 10'000))->capture_default_str();
  sub->add_option("--offset", o.offset, "skip this many first")->capture_default_str();
  return sub;
}

CLI::App* add_replay(CLI::App& app, parsed_options& p) {
  auto* sub = app.add_subcommand("replay", "replay one dead letter (ID), or many in batches (--dlq)");
  auto* id = sub->add_option("id", p.replay_id, "the dead letter's message id");
  auto* many = sub->add_flag("--dlq", p.replay_many, "replay every matching dead letter, in batches");
  id->excludes(many);
  sub->add_flag("--reset-attempts", p.replay.flags.reset_attempts, "start over with a full retry budget");
  sub->add_flag("--force", p.replay.flags.force, "replay quarantined letters (replayed too often) too");
  sub->add_option("--queue", p.replay.selection.queue, "only this queue's dead letters")->needs(many);
  sub->add_option("--error", p.replay.selection.error, "only letters whose error text contains TEXT")->needs(many);
  sub->add_option("--batch-size", p.replay.batch_size, "letters per request")
      ->check(CLI::Range(1, 10'000))
      ->capture_default_str()
      ->needs(many);
  sub->add_option("--delay-ms", p.replay.delay_ms, "pause between batches")->capture_default_str()->needs(many);
  sub->add_option("--limit", p.replay.limit, "replay at most this many")->check(CLI::Range(1, 10'000'000))->needs(many);
  sub->add_flag("--dry-run", p.replay.dry_run, "only report what would be replayed")->needs(many);
  return sub;
}

CLI::App* add_purge(CLI::App& app, parsed_options& p) {
  auto* sub = app.add_subcommand("purge", "delete dead letters for good");
  sub->add_flag("--dlq", p.purge_dlq, "purge dead letters (the only kind there is)")->required();
  add_selection_options(*sub, p.purge.selection);
  sub->add_flag("--yes", p.purge.confirmed, "yes, delete them");
  return sub;
}

subcommands add_subcommands(CLI::App& app, parsed_options& p) {
  subcommands s;
  s.health = app.add_subcommand("health", "is the engine healthy? (exit 1 when degraded)");
  s.health->add_flag("--detailed", p.health.detailed, "add totals, p95, failure rate and dead-letter error types");
  s.metrics = app.add_subcommand("metrics", "per-queue figures");
  s.metrics->add_flag("--reset", p.metrics.reset, "reset counters and latencies first");
  s.list = add_list(app, p.list);
  s.show = app.add_subcommand("show", "one message; a dead letter's error and payload too");
  s.show->add_option("id", p.show_id, "the message id")->required();
  s.replay = add_replay(app, p);
  s.purge = add_purge(app, p);
  s.snapshot = app.add_subcommand("snapshot", "take a snapshot now and print its report");
  auto* dlq = app.add_subcommand("dlq", "dead-letter queue reports");
  dlq->require_subcommand(1);
  s.dlq_stats = dlq->add_subcommand("stats", "dead letters per error type");
  add_selection_options(*s.dlq_stats, p.dlq_stats);
  s.scale = app.add_subcommand("scale", "set a queue's number of workers");
  s.scale->add_option("queue", p.scale_queue, "the queue")->required();
  s.scale->add_option("workers", p.scale_workers, "the number of workers")->required();
  s.stats = app.add_subcommand("stats", "offline (--data-dir): journal segments, snapshot generations, LSNs");
  s.backup = app.add_subcommand("backup", "offline (--data-dir): a backup through SQLite's backup API, fsynced");
  s.backup->add_option("--out", p.backup_out, "a new directory for the backup")->required();
  return s;
}

int dispatch(const cli::command_context& ctx, const subcommands& s, const parsed_options& p) {
  if (s.health->parsed()) return cli::run_health(ctx, p.health);
  if (s.metrics->parsed()) return cli::run_metrics(ctx, p.metrics);
  if (s.list->parsed()) return cli::run_list(ctx, p.list);
  if (s.show->parsed()) return cli::run_show(ctx, p.show_id);
  if (s.replay->parsed()) {
    if (p.replay_many) return cli::run_replay_batches(ctx, p.replay);
    return cli::run_replay_one(ctx, p.replay_id, p.replay.flags);
  }
  if (s.purge->parsed()) return cli::run_purge(ctx, p.purge);
  if (s.snapshot->parsed()) return cli::run_snapshot(ctx);
  if (s.dlq_stats->parsed()) return cli::run_dlq_stats(ctx, p.dlq_stats);
  if (s.scale->parsed()) return cli::run_scale(ctx, p.scale_queue, p.scale_workers);
  std::cerr << "sluice: no command given (see --help)\n";
  return cli::exit_usage;
}

std::int64_t now_unix_ms() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count();
}

int run(int argc, char** argv) {
  CLI::App app{"sluice: inspect and operate a running sluice engine through its admin API", "sluice"};
  app.footer(
      "Environment: SLUICE_URL (default for --url), SLUICE_ADMIN_TOKEN (sent as a bearer token; POSTs need it).\n"
      "Exit codes: 0 ok, 1 failed or not found, 2 usage, 3 engine unreachable, 4 unauthorized.");
  app.fallthrough();  // global options may follow the subcommand too
  app.require_subcommand(1);
  parsed_options p;
  add_global_options(app, p.global);
  const subcommands s = add_subcommands(app, p);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? cli::exit_ok : cli::exit_usage;  // --help is a ParseError that exits 0
  }
  if (s.replay->parsed() && !p.replay_many && p.replay_id.empty()) {
    std::cerr << "sluice: replay needs a message ID, or --dlq to replay many\n";
    return cli::exit_usage;
  }
  if (s.stats->parsed() || s.backup->parsed()) {
    if (p.global.data_dir.empty()) {
      std::cerr << "sluice: " << (s.stats->parsed() ? "stats" : "backup")
                << " works on a stopped engine's data directory: give --data-dir DIR\n";
      return cli::exit_usage;
    }
    const auto format = p.global.format == "json" ? cli::output_format::json : cli::output_format::table;
    if (s.stats->parsed())
      return cli::run_data_dir_stats(p.global.data_dir, format, now_unix_ms(), std::cout, std::cerr);
    return cli::run_backup(p.global.data_dir, p.backup_out, format, std::cout, std::cerr);
  }
  const auto server = sluice::http::parse_endpoint(p.global.url);
  if (!p.global.data_dir.empty() && !s.list->parsed()) {
    std::cerr << "sluice: offline (--data-dir) the CLI runs stats, backup and list; the rest needs a running engine"
                 " (--url)\n";
    return cli::exit_usage;
  }
  if (!server.value) {
    std::cerr << "sluice: --url: " << server.error << '\n';
    return cli::exit_usage;
  }
  const char* token = std::getenv("SLUICE_ADMIN_TOKEN");
  const cli::admin_client client(*server.value, token ? token : "",
                                 std::chrono::milliseconds(static_cast<std::int64_t>(p.global.timeout_ms)));
  const cli::command_context ctx{
      .client = client,
      .format = p.global.format == "json" ? cli::output_format::json : cli::output_format::table,
      .out = std::cout,
      .err = std::cerr,
      .progress = isatty(STDERR_FILENO) != 0 ? cli::progress_display::on : cli::progress_display::off,
      .now_unix_ms = now_unix_ms(),
  };
  if (!p.global.data_dir.empty()) return cli::run_list_offline(ctx, p.global.data_dir, p.list);
  return dispatch(ctx, s, p);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "sluice: " << e.what() << '\n';
    return sluice::cli::exit_failed;
  }
}
