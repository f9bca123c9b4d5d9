// The messages a stopped engine's data directory holds (see data_dir_state.hpp).
#include "sluice/snapshot/data_dir_state.hpp"

#include "sluice/error.hpp"
#include "sluice/journal/journal_recovery.hpp"
#include "sluice/journal/record_codec.hpp"
#include "sluice/snapshot/data_dir_report.hpp"
#include "sluice/snapshot/snapshot_db.hpp"
#include "sluice/snapshot/sqlite_vfs.hpp"

namespace sluice::snapshot {

boost::system::result<data_dir_state> read_data_dir_state(fs::file_system& files, const std::string& dir,
                                                          std::string& detail) {
  std::unique_ptr<fs::dir_lock> lock;
  auto report = inspect_data_dir(files, dir, detail, &lock);
  if (!report) return report.error();
  auto instance = read_instance(files, dir, detail);
  if (!instance) return instance.error();

  const generation_report* newest = nullptr;
  for (const auto& g : report->generations) {
    if (g.sound && (!newest || g.covered_lsn > newest->covered_lsn)) newest = &g;
  }
  journal::journal_state folded;
  data_dir_state out;
  if (newest) {
    sqlite_vfs vfs(files);
    auto db = snapshot_db::open(vfs, newest->path, *instance, db_options{}, detail);
    if (!db) return db.error();
    if (auto ec = (*db)->load([&](journal::durable_message&& d) { folded.load(std::move(d)); }, detail)) return ec;
    out.snapshot_lsn = newest->covered_lsn;
  }
  journal::recovery_options ro;
  ro.repair = false;
  ro.instance = *instance;
  ro.covered = out.snapshot_lsn;
  auto recovered = journal::scan_journal(files, dir + "/journal", ro, detail);
  if (!recovered) return recovered.error();
  if (recovered->first_lsn != 0 && recovered->first_lsn > out.snapshot_lsn + 1) {
    detail = "the journal starts at LSN " + std::to_string(recovered->first_lsn) +
             ", after the newest sound snapshot (" + std::to_string(out.snapshot_lsn) + "): records are missing";
    return make_error_code(errc::journal_corrupt);
  }
  folded.reserve(recovered->enqueues_seen);  // on top of the snapshot's messages
  const auto fold = [&](std::uint64_t lsn, journal::record_type type,
                        std::string_view payload) -> boost::system::error_code {
    if (lsn <= out.snapshot_lsn) return {};
    auto e = journal::decode_event(type, payload);
    if (!e) {
      detail = "journal record " + std::to_string(lsn) + " has a valid CRC but an undecodable payload";
      return make_error_code(errc::journal_corrupt);
    }
    folded.apply(lsn, std::move(*e));
    ++out.journal_records;
    return {};
  };
  if (auto ec = journal::read_journal(files, dir + "/journal", *recovered, fold, detail)) return ec;
  out.state = folded.take();
  return out;
}

}  // namespace sluice::snapshot
