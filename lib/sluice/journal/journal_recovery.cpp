// Journal recovery (see journal_recovery.hpp).
#include "sluice/journal/journal_recovery.hpp"

#include "sluice/error.hpp"
#include "sluice/journal/little_endian.hpp"
#include "sluice/journal/segment_scan.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <system_error>
#include <thread>
#include <utility>

namespace sluice::journal {

namespace {

// What pass one keeps of a segment: its scan without the records (their bytes are gone).
struct segment_data {
  std::string name;
  std::uint64_t base = 0;
  segment_scan scan;
  bool has_records = false;  // at least one complete batch
};

using void_map = std::map<std::uint64_t, std::uint64_t>;  // first -> last

bool covered(const void_map& voids, std::uint64_t first, std::uint64_t last) {
  // [first, last] lies inside the union of the void ranges.
  std::uint64_t need = first;
  for (const auto& [a, b] : voids) {
    if (a > need) break;
    if (b >= need) need = b + 1;
    if (need > last) return true;
  }
  return need > last;
}

bool in_void(const void_map& voids, std::uint64_t lsn) {
  auto it = voids.upper_bound(lsn);
  if (it == voids.begin()) return false;
  --it;
  return lsn >= it->first && lsn <= it->second;
}

}  // namespace

boost::system::error_code segment_buffer::read(fs::file_system& fs, const std::string& path,
                                               std::span<const std::uint8_t>& out) {
  auto f = fs.open(path, fs::open_mode::read_only);
  if (!f) return f.error();
  auto size = (*f)->size();
  if (!size) return size.error();
  if (*size > capacity_) {
    bytes_ = std::shared_ptr<std::uint8_t[]>(new std::uint8_t[*size]);  // not zeroed: the read fills it
    capacity_ = *size;
  }
  std::size_t got = 0;
  if (auto ec = (*f)->read_at(0, std::span<std::uint8_t>(bytes_.get(), *size), got)) return ec;
  out = std::span<const std::uint8_t>(bytes_.get(), got);
  return {};
}

std::string encode_void_range(std::uint64_t first, std::uint64_t last) {
  std::string out;
  le::put64(out, first);
  le::put64(out, last);
  return out;
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> decode_void_range(std::string_view payload) {
  if (payload.size() != 16) return std::nullopt;
  const auto a = le::get64(payload.data());
  const auto b = le::get64(payload.data() + 8);
  if (a == 0 || b < a) return std::nullopt;
  return std::make_pair(a, b);
}

boost::system::result<recovered_journal> scan_journal(fs::file_system& fs, const std::string& dir,
                                                      const recovery_options& options, std::string& detail) {
  recovered_journal out;
  auto names = fs.list(dir);
  if (!names) {
    detail = "cannot list " + dir + ": " + names.error().message();
    return names.error();
  }
  std::vector<segment_data> segments;
  for (const auto& n : *names) {
    if (auto base = parse_segment_file_name(n)) segments.push_back({n, *base, {}, false});
  }
  std::sort(segments.begin(), segments.end(), [](const auto& a, const auto& b) { return a.base < b.base; });
  if (options.covered > 0) {
    std::size_t stale = 0;
    while (stale + 1 < segments.size() && segments[stale + 1].base <= options.covered + 1) ++stale;
    for (std::size_t i = 0; i < stale; ++i) {
      out.notes.push_back("removed " + segments[i].name + " (covered by the snapshot)");
      if (options.repair) (void)fs.remove(dir + "/" + segments[i].name);
    }
    if (stale > 0 && options.repair) (void)fs.sync_dir(dir);
    segments.erase(segments.begin(), segments.begin() + static_cast<std::ptrdiff_t>(stale));
  }

  // Read and scan every segment on its own, keeping what the checks below need; the chain is
  // checked below. Two threads share the segments (this one takes the even ones, each with its
  // own buffer): the scans are independent, and the CRCs and copies of a large journal are most
  // of this pass.
  struct scanned_part {
    boost::system::error_code ec;
    std::string detail;
    std::uint64_t bytes = 0;
    std::uint64_t records = 0;
    std::uint64_t enqueues = 0;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> voids;  // in the order met
  };
  std::vector<scanned_part> parts(segments.size());
  const auto scan_some = [&](std::size_t first, std::size_t step, segment_buffer& buffer) {
    segment_scan work;  // its record vector is reused from segment to segment
    for (std::size_t i = first; i < segments.size(); i += step) {
      auto& s = segments[i];
      auto& part = parts[i];
      std::span<const std::uint8_t> bytes;
      if (auto ec = buffer.read(fs, dir + "/" + s.name, bytes)) {
        part.ec = ec;
        part.detail = "cannot read " + s.name + ": " + ec.message();
        return;  // the segments after it are not needed: the first error ends the recovery
      }
      part.bytes = bytes.size();
      scan_segment(bytes, 0, /*last=*/true, work);
      for (const auto& r : work.records) {
        part.enqueues += r.header.type == record_type::enqueue ? 1 : 0;
        if (r.header.type != record_type::void_range) continue;
        const std::string_view p(reinterpret_cast<const char*>(r.payload.data()), r.payload.size());
        if (auto range = decode_void_range(p)) part.voids.push_back(*range);
      }
      s.has_records = !work.records.empty();
      part.records = work.records.size();
      // Everything but the records (spans into the buffer, which the next segment overwrites;
      // their vector goes back to `work` for the next scan).
      std::swap(s.scan, work);
      std::swap(s.scan.records, work.records);
    }
  };
  {
    std::optional<std::thread> helper;
    segment_buffer helper_buffer;
    bool helper_out_of_memory = false;
    if (segments.size() >= 2) {
      try {
        helper.emplace([&] {
          try {
            scan_some(1, 2, helper_buffer);
          } catch (const std::bad_alloc&) {
            helper_out_of_memory = true;
          }
        });
      } catch (const std::system_error&) {
        // no thread to be had: this one scans them all
      }
    }
    try {
      scan_some(0, helper ? 2 : 1, out.buffer);
    } catch (...) {
      if (helper) helper->join();
      throw;
    }
    if (helper) helper->join();
    if (helper_out_of_memory) throw std::bad_alloc();  // as a scan on this thread would have
  }
  void_map& voids = out.voids;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    auto& part = parts[i];
    if (part.ec) {
      detail = std::move(part.detail);
      return part.ec;
    }
    out.bytes_read += part.bytes;
    out.records_seen += part.records;
    out.enqueues_seen += part.enqueues;
    for (const auto& [first, last_lsn] : part.voids) {
      auto& last = voids[first];
      last = std::max(last, last_lsn);
    }
  }
  auto fail = [&](const segment_data& s, std::size_t offset, std::uint64_t after,
                  const std::string& why) -> boost::system::result<recovered_journal> {
    detail = "journal corrupt: segment " + s.name + ", offset " + std::to_string(offset) + ", after LSN " +
             std::to_string(after) + ": " + why;
    if (!options.salvage) return make_error_code(errc::journal_corrupt);
    out.unreadable.push_back(detail);
    return out;
  };

  std::uint64_t expected = 0;  // 0: take the first segment's base
  for (std::size_t i = 0; i < segments.size(); ++i) {
    auto& s = segments[i];
    const auto& scan = s.scan;
    bool later_batches = false;  // does any later segment hold a complete batch?
    for (std::size_t k = i + 1; k < segments.size(); ++k) later_batches |= segments[k].has_records;
    if (!scan.header) {
      // Unreadable header: a segment whose creation failed (header never synced) is harmless only
      // if it is empty beyond the header and nothing complete follows or a void covers it.
      if (scan.torn && (!later_batches || i + 1 == segments.size())) {
        out.notes.push_back("removed an unfinished segment " + s.name);
        if (options.repair) {
          (void)fs.remove(dir + "/" + s.name);
          (void)fs.sync_dir(dir);
        }
        continue;
      }
      if (scan.torn && covered(voids, s.base, s.base)) {
        out.notes.push_back("ignored a voided segment " + s.name);
        continue;
      }
      auto r = fail(s, 0, expected == 0 ? 0 : expected - 1, scan.corrupt ? scan.corrupt->reason : "bad segment header");
      if (options.salvage) {
        for (std::size_t k = i + 1; k < segments.size(); ++k) out.unreadable.push_back("segment " + segments[k].name);
      }
      return r;
    }
    if (options.instance && scan.header->instance != *options.instance) {
      return fail(s, 0, expected == 0 ? 0 : expected - 1, "foreign segment (another instance id)");
    }
    if (!out.instance) out.instance = scan.header->instance;
    if (scan.header->instance != *out.instance) return fail(s, 0, expected - 1, "segments of two instances");
    if (scan.header->base_lsn != s.base)
      return fail(s, 0, expected == 0 ? 0 : expected - 1, "file name and header disagree");
    if (expected != 0 && s.base != expected && !(s.base > expected && covered(voids, expected, s.base - 1))) {
      return fail(s, 0, expected - 1,
                  "LSN gap: segment starts at " + std::to_string(s.base) + ", expected " + std::to_string(expected));
    }
    if (expected != 0 && s.base < expected) {
      return fail(s, 0, expected - 1, "segment overlaps the previous one");
    }
    if (scan.corrupt) {
      if (!options.salvage) return fail(s, scan.corrupt->offset, scan.corrupt->after_lsn, scan.corrupt->reason);
      (void)fail(s, scan.corrupt->offset, scan.corrupt->after_lsn, scan.corrupt->reason);  // records the detail
      out.plan.push_back({s.name, scan.corrupt->after_lsn, scan.next_lsn});
      for (std::size_t k = i + 1; k < segments.size(); ++k) out.unreadable.push_back("segment " + segments[k].name);
      out.next_lsn = scan.corrupt->after_lsn + 1;
      return out;
    }
    out.plan.push_back({s.name, UINT64_MAX, scan.next_lsn});
    out.segments.push_back(s.name);
    if (out.first_lsn == 0) out.first_lsn = s.base;
    expected = scan.next_lsn;
    if (scan.torn) {
      const bool newest = i + 1 == segments.size();
      // An older segment may end torn only where the writer explained it (a void range covering
      // what follows) or where nothing complete was written after it.
      if (!newest && later_batches) {
        std::uint64_t next_base = 0;
        for (std::size_t k = i + 1; k < segments.size() && next_base == 0; ++k) {
          if (segments[k].scan.header) next_base = segments[k].base;
        }
        if (next_base <= expected || !covered(voids, expected, next_base - 1)) {
          return fail(s, scan.torn->offset, expected - 1, scan.torn->reason + " in a sealed segment");
        }
      }
      out.notes.push_back("torn tail cut: segment " + s.name + " at offset " + std::to_string(scan.torn->offset) +
                          " (" + std::to_string(scan.torn->bytes) + " bytes, " + scan.torn->reason + ")");
      if (options.repair) {
        auto f = fs.open(dir + "/" + s.name, fs::open_mode::read_write);
        boost::system::error_code ec = f ? boost::system::error_code{} : f.error();
        if (!ec) ec = (*f)->truncate(scan.torn->offset);
        if (!ec) ec = (*f)->sync_data();
        if (ec) {
          detail = "cannot cut the torn tail of " + s.name + ": " + ec.message();
          return ec;
        }
      }
    }
  }
  if (expected != 0) out.next_lsn = expected;
  // A void range may name LSNs beyond the last record (a failed batch at the very end).
  if (!voids.empty()) out.next_lsn = std::max(out.next_lsn, std::prev(voids.end())->second + 1);
  for (const auto& [a, b] : voids)
    out.notes.push_back("LSNs " + std::to_string(a) + ".." + std::to_string(b) + " void");
  return out;
}

boost::system::error_code read_journal(fs::file_system& fs, const std::string& dir, recovered_journal& journal,
                                       const record_visitor& visit, std::string& detail,
                                       const std::function<boost::system::error_code()>& segment_done) {
  segment_buffer& buffer = journal.buffer;
  journal.voided = 0;
  segment_scan scan;  // its record vector is reused from segment to segment
  for (const auto& p : journal.plan) {
    std::span<const std::uint8_t> bytes;
    if (auto ec = buffer.read(fs, dir + "/" + p.name, bytes)) {
      detail = "cannot read " + p.name + ": " + ec.message();
      return ec;
    }
    scan_segment(bytes, 0, /*last=*/true, scan);
    if (!scan.header || scan.next_lsn != p.next_lsn) {
      detail = "journal corrupt: segment " + p.name + " changed while it was recovered (it ended at LSN " +
               std::to_string(p.next_lsn) + ", now at " + std::to_string(scan.next_lsn) + ")";
      return make_error_code(errc::journal_corrupt);
    }
    for (const auto& r : scan.records) {
      if (r.header.lsn > p.last_lsn) break;
      if (r.header.type == record_type::void_range || in_void(journal.voids, r.header.lsn)) {
        ++journal.voided;
        continue;
      }
      const std::string_view payload(reinterpret_cast<const char*>(r.payload.data()), r.payload.size());
      if (auto ec = visit(r.header.lsn, r.header.type, payload)) return ec;
    }
    if (segment_done) {
      if (auto ec = segment_done()) return ec;
    }
  }
  buffer.release();
  return {};
}

boost::system::result<recovered_journal> recover(fs::file_system& fs, const std::string& dir,
                                                 const recovery_options& options, std::string& detail) {
  auto out = scan_journal(fs, dir, options, detail);
  if (!out) return out;
  out->records.reserve(out->records_seen);
  const auto ec = read_journal(
      fs, dir, *out,
      [&](std::uint64_t lsn, record_type type, std::string_view payload) {
        out->records.push_back({lsn, type, std::string(payload)});
        return boost::system::error_code{};
      },
      detail);
  if (ec) return ec;
  return out;
}

}  // namespace sluice::journal
