// A backup of a stopped engine's data directory (see data_dir_backup.hpp).
#include "sluice/snapshot/data_dir_backup.hpp"

#include "sluice/error.hpp"
#include "sluice/snapshot/data_dir_report.hpp"
#include "sluice/snapshot/snapshot_db.hpp"
#include "sluice/snapshot/sqlite_vfs.hpp"

namespace sluice::snapshot {

namespace {

// Copies one file byte for byte and fsyncs the copy.
error_code copy_file(fs::file_system& files, const std::string& from, const std::string& to, std::uint64_t& bytes,
                     std::string& detail) {
  auto src = files.open(from, fs::open_mode::read_only);
  if (!src) {
    detail = "cannot open " + from + ": " + src.error().message();
    return src.error();
  }
  auto data = fs::read_all(**src);
  if (!data) {
    detail = "cannot read " + from + ": " + data.error().message();
    return data.error();
  }
  auto dst = files.open(to, fs::open_mode::create);
  error_code ec = dst ? error_code{} : dst.error();
  if (!ec) ec = (*dst)->truncate(0);
  if (!ec) ec = (*dst)->write_at(0, *data);
  if (!ec) ec = (*dst)->sync_data();
  if (ec) detail = "cannot write " + to + ": " + ec.message();
  bytes += data->size();
  return ec;
}

}  // namespace

boost::system::result<backup_report> backup_data_dir(fs::file_system& files, const std::string& dir,
                                                     const std::string& out, std::string& detail) {
  std::unique_ptr<fs::dir_lock> lock;
  auto source = inspect_data_dir(files, dir, detail, &lock);
  if (!source) return source.error();
  if (auto existing = files.list(out); existing && !existing->empty()) {
    detail = out + " exists and is not empty: choose a new directory";
    return make_error_code(errc::invalid_argument);
  }
  for (const auto& d : {out, out + "/journal"}) {
    if (auto ec = files.create_dir(d)) {
      detail = "cannot create " + d + ": " + ec.message();
      return ec;
    }
  }
  auto instance = read_instance(files, dir, detail);
  if (!instance) return instance.error();
  backup_report r;
  r.out = out;
  std::uint64_t ignored = 0;
  if (auto ec = copy_file(files, dir + "/INSTANCE", out + "/INSTANCE", ignored, detail)) return ec;
  // A directory left by a crash may count attempts in its checkout ledger only.
  if (files.open(dir + "/CHECKOUTS", fs::open_mode::read_only)) {
    if (auto ec = copy_file(files, dir + "/CHECKOUTS", out + "/CHECKOUTS", ignored, detail)) return ec;
  }

  sqlite_vfs vfs(files);
  for (const auto& g : source->generations) {
    if (!g.sound) continue;  // a damaged or missing generation is rebuilt by the engine's recovery
    auto from = snapshot_db::open(vfs, g.path, *instance, db_options{}, detail);
    if (!from) return from.error();
    const std::string to_path = out + "/snapshot." + std::to_string(g.generation) + ".sqlite";
    auto to = snapshot_db::open(vfs, to_path, *instance, db_options{}, detail);
    if (!to) return to.error();
    if (auto ec = (*to)->copy_from(**from, detail)) return ec;
    ++r.generations;
    r.newest_covered_lsn = std::max(r.newest_covered_lsn, g.covered_lsn);
  }
  for (const auto& s : source->segments) {
    if (auto ec = copy_file(files, dir + "/journal/" + s.name, out + "/journal/" + s.name, r.bytes, detail)) return ec;
    ++r.segments;
  }
  for (const auto& d : {out + "/journal", out}) {
    if (auto ec = files.sync_dir(d)) {
      detail = "cannot sync " + d + ": " + ec.message();
      return ec;
    }
  }
  return r;
}

}  // namespace sluice::snapshot
