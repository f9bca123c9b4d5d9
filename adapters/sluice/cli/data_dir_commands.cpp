// The CLI's offline commands (see data_dir_commands.hpp).
#include "sluice/cli/data_dir_commands.hpp"

#include "sluice/cli/exit_codes.hpp"
#include "sluice/cli/format.hpp"
#include "sluice/cli/table.hpp"

#include <sluice/error.hpp>
#include <sluice/snapshot/data_dir_backup.hpp>
#include <sluice/snapshot/data_dir_report.hpp>

#include <boost/json.hpp>

namespace sluice::cli {

namespace json = boost::json;

namespace {

int refused(const boost::system::error_code& ec, const std::string& detail, std::ostream& err) {
  err << "sluice: " << (detail.empty() ? ec.message() : detail) << '\n';
  return ec == errc::directory_locked ? exit_unreachable : exit_failed;
}

}  // namespace

int run_data_dir_stats(const std::string& data_dir, output_format format, std::int64_t now_unix_ms, std::ostream& out,
                       std::ostream& err) {
  std::string detail;
  auto r = snapshot::inspect_data_dir(fs::posix(), data_dir, detail);
  if (!r) return refused(r.error(), detail, err);
  bool damaged = false;
  for (const auto& g : r->generations) damaged |= g.present && !g.sound;
  if (format == output_format::json) {
    json::array gens;
    for (const auto& g : r->generations) {
      gens.push_back(json::object{{"generation", g.generation},
                                  {"present", g.present},
                                  {"sound", g.sound},
                                  {"covered_lsn", g.covered_lsn},
                                  {"rows", g.rows},
                                  {"bytes", g.bytes},
                                  {"taken_unix_ms", g.taken_unix_ms},
                                  {"problem", g.problem}});
    }
    json::array segs;
    for (const auto& s : r->segments) {
      segs.push_back(json::object{{"name", s.name}, {"base_lsn", s.base_lsn}, {"bytes", s.bytes}});
    }
    json::array other;
    for (const auto& o : r->other_files) other.push_back(json::string(o));
    out << json::serialize(json::object{{"dir", r->dir},
                                        {"instance", r->instance},
                                        {"snapshots", std::move(gens)},
                                        {"segments", std::move(segs)},
                                        {"journal_bytes", r->journal_bytes},
                                        {"set_aside", std::move(other)}})
        << '\n';
    return damaged ? exit_failed : exit_ok;
  }
  print_fields(out, {{"data directory", r->dir},
                     {"instance", r->instance},
                     {"journal", std::to_string(r->segments.size()) + " segments, " + format_bytes(r->journal_bytes)},
                     {"first segment LSN", r->segments.empty() ? "-" : std::to_string(r->segments.front().base_lsn)},
                     {"last segment LSN", r->segments.empty() ? "-" : std::to_string(r->segments.back().base_lsn)}});
  out << '\n';
  table t({{"SNAPSHOT"},
           {"STATE"},
           {"COVERED LSN", align::right},
           {"ROWS", align::right},
           {"SIZE", align::right},
           {"TAKEN", align::left, 40}});
  for (const auto& g : r->generations) {
    const std::string state = !g.present ? "missing" : g.sound ? "sound" : "DAMAGED: " + g.problem;
    t.add_row({"snapshot." + std::to_string(g.generation), state, std::to_string(g.covered_lsn), std::to_string(g.rows),
               format_bytes(g.bytes),
               g.taken_unix_ms == 0 ? "-"
                                    : format_iso_utc(static_cast<std::int64_t>(g.taken_unix_ms)) + " (" +
                                          format_age(now_unix_ms, static_cast<std::int64_t>(g.taken_unix_ms)) + ")"});
  }
  t.print(out);
  for (const auto& o : r->other_files) out << "set aside by a recovery: " << o << '\n';
  return damaged ? exit_failed : exit_ok;
}

int run_backup(const std::string& data_dir, const std::string& out_dir, output_format format, std::ostream& out,
               std::ostream& err) {
  std::string detail;
  auto r = snapshot::backup_data_dir(fs::posix(), data_dir, out_dir, detail);
  if (!r) return refused(r.error(), detail, err);
  if (format == output_format::json) {
    out << json::serialize(json::object{{"out", r->out},
                                        {"snapshot_generations", r->generations},
                                        {"covered_lsn", r->newest_covered_lsn},
                                        {"segments", r->segments},
                                        {"journal_bytes", r->bytes}})
        << '\n';
  } else {
    out << "backed up " << data_dir << " to " << r->out << ": " << r->generations
        << " snapshot generation(s) through SQLite's backup API (newest covers LSN " << r->newest_covered_lsn << "), "
        << r->segments << " journal segment(s), " << format_bytes(r->bytes) << "; all fsynced\n";
  }
  return exit_ok;
}

}  // namespace sluice::cli
