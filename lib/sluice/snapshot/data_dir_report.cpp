// What a stopped engine's data directory holds (see data_dir_report.hpp).
#include "sluice/snapshot/data_dir_report.hpp"

#include "sluice/error.hpp"
#include "sluice/snapshot/snapshot_db.hpp"
#include "sluice/snapshot/sqlite_vfs.hpp"

#include <unistd.h>

#include <algorithm>

namespace sluice::snapshot {

namespace {

std::uint64_t size_of(fs::file_system& files, const std::string& path) {
  auto f = files.open(path, fs::open_mode::read_only);
  if (!f) return 0;
  auto n = (*f)->size();
  return n ? *n : 0;
}

std::string hex(const journal::instance_id& id) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (auto b : id) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0xF]);
  }
  return out;
}

}  // namespace

boost::system::result<journal::instance_id> read_instance(fs::file_system& files, const std::string& dir,
                                                          std::string& detail) {
  const std::string path = dir + "/INSTANCE";
  auto f = files.open(path, fs::open_mode::read_only);
  if (!f) {
    detail = path + ": " + f.error().message() + " (not a sluice data directory?)";
    return make_error_code(errc::not_found);
  }
  auto bytes = fs::read_all(**f);
  journal::instance_id id{};
  if (!bytes || bytes->size() != id.size()) {
    detail = path + " is damaged or unreadable";
    return make_error_code(errc::journal_corrupt);
  }
  std::copy(bytes->begin(), bytes->end(), id.begin());
  return id;
}

boost::system::result<data_dir_report> inspect_data_dir(fs::file_system& files, const std::string& dir,
                                                        std::string& detail, std::unique_ptr<fs::dir_lock>* keep) {
  // Not a data directory: say so before taking a lock (which would create a LOCK file there).
  if (auto probe = read_instance(files, dir, detail); !probe) return probe.error();
  std::string holder;
  auto lock = files.lock(dir + "/LOCK", "pid " + std::to_string(::getpid()) + " (sluice CLI, read-only)", holder);
  if (!lock) {
    detail = dir + " is in use by " + (holder.empty() ? "another engine" : holder) +
             ": stop it, or ask it over the admin API (--url)";
    return lock.error();
  }
  auto instance = read_instance(files, dir, detail);
  if (!instance) return instance.error();
  data_dir_report r;
  r.dir = dir;
  r.instance = hex(*instance);

  sqlite_vfs vfs(files);
  for (int g = 0; g < 2; ++g) {
    generation_report gen;
    gen.generation = g;
    gen.path = dir + "/snapshot." + std::to_string(g) + ".sqlite";
    auto probe = files.open(gen.path, fs::open_mode::read_only);
    gen.present = static_cast<bool>(probe);
    if (gen.present && size_of(files, gen.path) == 0) {
      gen.problem = "empty file (a snapshot that was never committed)";  // not opened: SQLite would create a schema
    } else if (gen.present) {
      gen.bytes = size_of(files, gen.path) + size_of(files, gen.path + "-wal");
      std::string why;
      auto db = snapshot_db::open(vfs, gen.path, *instance, db_options{}, why);
      if (!db) {
        gen.problem = why.empty() ? db.error().message() : why;
      } else {
        const auto& m = (*db)->meta();
        gen.covered_lsn = m.covered_lsn;
        gen.rows = m.rows;
        gen.taken_unix_ms = m.taken_unix_ms;
        if (m.instance != *instance) {
          gen.problem = "belongs to another instance";
        } else if (auto ec = (*db)->load([](journal::durable_message&&) {}, why)) {
          gen.problem = why.empty() ? ec.message() : why;
        } else {
          gen.sound = true;
        }
      }
    }
    r.generations.push_back(std::move(gen));
  }

  const std::string journal_dir = dir + "/journal/";
  auto names = files.list(journal_dir);
  if (names) {
    for (const auto& n : *names) {
      if (auto base = journal::parse_segment_file_name(n)) {
        segment_report s{n, *base, size_of(files, journal_dir + n)};
        r.journal_bytes += s.bytes;
        r.segments.push_back(std::move(s));
      }
    }
    std::sort(r.segments.begin(), r.segments.end(),
              [](const segment_report& a, const segment_report& b) { return a.base_lsn < b.base_lsn; });
  }
  if (auto top = files.list(dir)) {
    for (const auto& n : *top) {
      if (n.find(".damaged-") != std::string::npos) r.other_files.push_back(n);
    }
  }
  if (keep) *keep = std::move(*lock);
  return r;
}

}  // namespace sluice::snapshot
