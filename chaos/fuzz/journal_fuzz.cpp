// libFuzzer target: arbitrary bytes as a journal segment. The scanner, the event decoder and the
// whole recovery (on a simulated disk, read-only) must classify anything (clean, torn, corrupt)
// without crashing, reading out of bounds or trusting an unverified length.
#include "sluice/fs/simulated_disk.hpp"
#include "sluice/journal/journal_recovery.hpp"
#include "sluice/journal/record_codec.hpp"
#include "sluice/journal/segment_scan.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace j = sluice::journal;
  const std::span<const std::uint8_t> bytes(data, size);
  for (bool last : {true, false}) {
    const auto scan = j::scan_segment(bytes, 0, last);
    for (const auto& r : scan.records) {
      const std::string_view p(reinterpret_cast<const char*>(r.payload.data()), r.payload.size());
      (void)j::decode_event(r.header.type, p);
    }
  }
  // The same bytes as the only segment of a journal directory, then as the second of two.
  sluice::fs::simulated_disk disk;
  (void)disk.create_dir("/j");
  disk.overwrite("/j/" + j::segment_file_name(1), std::vector<std::uint8_t>(data, data + size));
  j::recovery_options o;
  o.repair = false;
  for (bool salvage : {false, true}) {
    o.salvage = salvage;
    std::string detail;
    (void)j::recover(disk, "/j", o, detail);
  }
  return 0;
}
