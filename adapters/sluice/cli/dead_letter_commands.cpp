// Dead-letter commands answered in one request: `sluice replay ID` (POST
// /api/dead-letters/{id}/replay), `sluice purge --dlq` (POST /api/dead-letters/purge, only with
// --yes) and `sluice dlq stats` (GET /api/dead-letters/stats: letters per error type).
#include "sluice/cli/command_support.hpp"
#include "sluice/cli/format.hpp"
#include "sluice/cli/table.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace sluice::cli {

int run_replay_one(const command_context& ctx, const std::string& id, const replay_flags& flags) {
  query_string q;
  q.add_flag("reset_attempts", flags.reset_attempts).add_flag("force", flags.force);
  const auto r = ctx.client.post("/api/dead-letters/" + percent_encode(id) + "/replay" + q.str());
  if (!r.ok()) {
    const int code = report_failure(ctx, r);
    const auto* body = r.json_object();
    if (body && text_field(*body, "error") == "quarantined") {
      ctx.err << "sluice: the letter was replayed too often already; add --force to replay it anyway\n";
    }
    return code;
  }
  if (ctx.format == output_format::json) {
    if (r.json_body) print_json(ctx, *r.json_body);
  } else {
    ctx.out << "replayed " << sanitize(id) << (flags.reset_attempts ? " with its attempts reset" : "") << '\n';
  }
  return exit_ok;
}

int run_purge(const command_context& ctx, const purge_options& options) {
  if (!options.confirmed) {
    return report_error(ctx, "purge deletes dead letters for good; add --yes", exit_usage);
  }
  const auto reply = post_object(ctx, "/api/dead-letters/purge" + selection_query(options.selection).str());
  if (!reply.ok()) return reply.exit;
  if (ctx.format == output_format::json) {
    print_json(ctx, reply.object());
  } else {
    const auto purged = count_field(reply.object(), "purged");
    ctx.out << "purged " << purged << (purged == 1 ? " dead letter" : " dead letters") << '\n';
  }
  return exit_ok;
}

int run_dlq_stats(const command_context& ctx, const dead_letter_selection& selection) {
  const auto reply = get_object(ctx, "/api/dead-letters/stats" + selection_query(selection).str());
  if (!reply.ok()) return reply.exit;
  if (ctx.format == output_format::json) {
    print_json(ctx, reply.object());
    return exit_ok;
  }
  const auto& types = object_field(reply.object(), "error_types");
  std::vector<std::pair<std::string, std::uint64_t>> rows;
  for (const auto& entry : types) {
    rows.emplace_back(std::string(entry.key().data(), entry.key().size()), count_of(entry.value()));
  }
  if (rows.empty()) {
    ctx.out << "no dead letters match\n";
    return exit_ok;
  }
  // Most letters first; ties by name, so the order is stable between runs.
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  table t({{"ERROR TYPE", align::left, 80}, {"COUNT", align::right}});
  for (const auto& [type, count] : rows) t.add_row({type, std::to_string(count)});
  t.print(ctx.out);
  ctx.out << "total " << sum_counts(types) << '\n';
  return exit_ok;
}

}  // namespace sluice::cli
