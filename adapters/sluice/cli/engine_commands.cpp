// Engine-wide commands: `sluice snapshot` (POST /api/snapshot, the report printed) and
// `sluice scale QUEUE WORKERS` (POST /api/queues/{queue}/scale?workers=N).
#include "sluice/cli/command_support.hpp"
#include "sluice/cli/format.hpp"
#include "sluice/cli/table.hpp"

namespace sluice::cli {

int run_snapshot(const command_context& ctx) {
  const auto reply = post_object(ctx, "/api/snapshot");
  if (!reply.ok()) return reply.exit;
  const auto& r = reply.object();
  if (ctx.format == output_format::json) {
    print_json(ctx, r);
    return exit_ok;
  }
  print_fields(ctx.out, {{"committed", flag_field(r, "committed") ? "yes" : "no"},
                         {"generation", std::to_string(count_field(r, "generation"))},
                         {"covered lsn", std::to_string(count_field(r, "covered_lsn"))},
                         {"rows written", std::to_string(count_field(r, "rows_written"))},
                         {"rows erased", std::to_string(count_field(r, "rows_erased"))},
                         {"segments deleted", std::to_string(count_field(r, "segments_deleted"))},
                         {"took", format_duration_ms(number_field(r, "took_ms"))}});
  return exit_ok;
}

int run_scale(const command_context& ctx, const std::string& queue, std::uint64_t workers) {
  query_string q;
  q.add_number("workers", workers);
  const auto reply = post_object(ctx, "/api/queues/" + percent_encode(queue) + "/scale" + q.str());
  if (!reply.ok()) return reply.exit;
  if (ctx.format == output_format::json) {
    print_json(ctx, reply.object());
  } else {
    const auto now = count_field(reply.object(), "workers");
    ctx.out << "queue " << sanitize(queue) << " now has " << now << (now == 1 ? " worker" : " workers") << '\n';
  }
  return exit_ok;
}

}  // namespace sluice::cli
