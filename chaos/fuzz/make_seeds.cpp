// Writes the seed corpus of the fuzz targets (committed under chaos/fuzz/corpus): valid segments
// with every record type, batches, a void range, a torn tail and a zero-filled tail, and one
// payload per event type. CRC-protected formats are hard to reach from random bytes; seeds that
// pass the CRCs let the fuzzer mutate past them.
//   sluice_fuzz_seeds CORPUS_DIR
#include "sluice/journal/format.hpp"
#include "sluice/journal/journal_recovery.hpp"
#include "sluice/journal/record_codec.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace j = sluice::journal;

namespace {

void write(const std::filesystem::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

std::vector<j::event> events() {
  sluice::message m;
  m.id = sluice::message_id{0x0123456789ULL << 16, 42};
  m.type = "shop.order";
  m.payload = R"({"id":1,"sku":"a"})";
  m.headers = {{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}};
  m.dedup_key = "order-1";
  std::vector<j::event> out;
  out.emplace_back(j::enqueue_event{"orders", m});
  out.emplace_back(j::checkout_event{m.id, 1, 1});
  out.emplace_back(j::reschedule_event{m.id, sluice::sys_time(std::chrono::seconds(100)), 1, 0, {}, false});
  out.emplace_back(j::reschedule_event{m.id, sluice::sys_time(std::chrono::seconds(200)), 2, 1, {}, true});
  out.emplace_back(
      j::dead_letter_event{m.id, sluice::dead_letter_reason::retries_exhausted, {"E", "boom"}, {}, {}, {}});
  out.emplace_back(j::replay_event{m.id, true});
  out.emplace_back(j::replace_event{m.id, "{}", {}});
  out.emplace_back(j::lease_event{m.id, 3, sluice::sys_time(std::chrono::seconds(300))});
  out.emplace_back(j::purge_event{m.id});
  out.emplace_back(j::ack_event{m.id});
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const std::filesystem::path root = argv[1];
  std::filesystem::create_directories(root / "journal");
  std::filesystem::create_directories(root / "record");
  const auto all = events();
  int n = 0;
  for (const auto& e : all) {
    std::string payload;
    const auto type = j::encode_event(e, payload);
    write(root / "record" / ("seed-" + std::to_string(n++)), std::string(1, static_cast<char>(type)) + payload);
  }
  j::segment_header h;
  h.base_lsn = 1;
  std::string seg;
  j::encode(h, seg);
  std::uint64_t lsn = 1;
  for (std::size_t b = 0; b < all.size(); b += 3) {
    const std::uint64_t first = lsn;
    for (std::size_t i = b; i < std::min(all.size(), b + 3); ++i) {
      std::string payload;
      const auto type = j::encode_event(all[i], payload);
      const bool end = i + 1 == std::min(all.size(), b + 3);
      j::encode_record(lsn++, first, type, end ? j::batch_end : 0, payload, seg);
    }
  }
  write(root / "journal" / "valid", seg);
  std::string voided = seg;
  j::encode_record(lsn, lsn, j::record_type::void_range, j::batch_end, j::encode_void_range(2, 3), voided);
  write(root / "journal" / "void-range", voided);
  write(root / "journal" / "torn", seg.substr(0, seg.size() - 7));
  write(root / "journal" / "zero-tail", seg + std::string(600, '\0'));
  write(root / "journal" / "header-only", seg.substr(0, j::segment_header_size));
  return 0;
}
