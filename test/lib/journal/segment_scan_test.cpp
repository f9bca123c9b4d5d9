// Journal torture on the segment scanner: truncation at every byte offset of the last 8 batches,
// every single-bit flip in the last 16 records and in the segment header, zero-filled tails,
// corrupted lengths, LSN gaps and damage in sealed segments; for a pipelined writer (batches
// written while earlier ones were being synced), truncation and bit flips at every byte of the last
// pipeline depth + 8 batches, where damage is a torn tail exactly when no later record proves the
// damaged batch durable. Damage is always reported (torn tail
// or corruption); what is returned is always an unaltered prefix of complete batches.
#include "sluice/journal/segment_scan.hpp"
#include "sluice/journal/crc32c.hpp"
#include "sluice/journal/format.hpp"

#include <boost/test/unit_test.hpp>

#include <random>
#include <string>
#include <vector>

namespace j = sluice::journal;

namespace {

struct built {
  std::string bytes;
  std::vector<std::size_t> batch_ends;  // byte offsets where each batch ends
  std::vector<std::size_t> record_starts;
  std::vector<std::string> payloads;  // by LSN - base
  std::vector<std::size_t> records_before_batch_end;
};

built build_segment(std::uint64_t base, int batches, std::uint32_t seed, bool preallocated = false) {
  std::mt19937 rng(seed);
  built b;
  j::segment_header h;
  h.base_lsn = base;
  h.preallocated = preallocated;
  h.instance[0] = 7;
  j::encode(h, b.bytes);
  std::uint64_t lsn = base;
  for (int i = 0; i < batches; ++i) {
    const int n = 1 + static_cast<int>(rng() % 4);
    const std::uint64_t first = lsn;
    for (int r = 0; r < n; ++r) {
      std::string payload(rng() % 80, '\0');
      for (auto& c : payload) c = static_cast<char>(rng());
      b.record_starts.push_back(b.bytes.size());
      j::encode_record(lsn, first, j::record_type::enqueue, r + 1 == n ? j::batch_end : 0, payload, b.bytes);
      b.payloads.push_back(payload);
      ++lsn;
    }
    b.batch_ends.push_back(b.bytes.size());
    b.records_before_batch_end.push_back(b.payloads.size());
  }
  return b;
}

std::span<const std::uint8_t> view(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// The scan returned an unaltered prefix of the built records.
bool is_prefix(const j::segment_scan& s, const built& b) {
  if (s.records.size() > b.payloads.size()) return false;
  for (std::size_t i = 0; i < s.records.size(); ++i) {
    const auto& p = s.records[i].payload;
    if (std::string(reinterpret_cast<const char*>(p.data()), p.size()) != b.payloads[i]) return false;
  }
  return true;
}

// A segment as a pipelined writer leaves it: batch i was written while batches i - depth + 1 ..
// i - 1 were still being synced, so it records the journal durable only up to batch i - depth.
struct pipelined {
  built b;
  std::vector<std::uint64_t> first_lsn;  // per batch
  std::vector<std::uint64_t> durable;    // per batch: what its records say was durable
};

pipelined build_pipelined(int batches, int depth, std::uint32_t seed, bool record_lag = true) {
  std::mt19937 rng(seed);
  pipelined p;
  j::segment_header h;
  h.base_lsn = 1;
  j::encode(h, p.b.bytes);
  std::uint64_t lsn = 1;
  std::vector<std::uint64_t> last_lsn;
  for (int i = 0; i < batches; ++i) {
    const int n = 1 + static_cast<int>(rng() % 3);
    const std::uint64_t first = lsn;
    const std::uint64_t durable = i >= depth ? last_lsn[static_cast<std::size_t>(i - depth)] : 0;
    const std::uint16_t lag = record_lag ? j::durable_lag_of(first, durable) : 0;
    for (int r = 0; r < n; ++r) {
      std::string payload(8 + rng() % 40, '\0');
      for (auto& c : payload) c = static_cast<char>(rng());
      p.b.record_starts.push_back(p.b.bytes.size());
      j::encode_record(lsn, first, j::record_type::enqueue, r + 1 == n ? j::batch_end : 0, payload, p.b.bytes, lag);
      p.b.payloads.push_back(payload);
      ++lsn;
    }
    last_lsn.push_back(lsn - 1);
    p.first_lsn.push_back(first);
    p.durable.push_back(durable);
    p.b.batch_ends.push_back(p.b.bytes.size());
    p.b.records_before_batch_end.push_back(p.b.payloads.size());
  }
  return p;
}

// The batch holding byte `offset` (past the header).
std::size_t batch_at(const built& b, std::size_t offset) {
  std::size_t k = 0;
  while (b.batch_ends[k] <= offset) ++k;
  return k;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(segment_scan_suite)

BOOST_AUTO_TEST_CASE(a_clean_segment_reads_back_every_record) {
  const auto b = build_segment(100, 20, 1);
  const auto s = j::scan_segment(view(b.bytes), 100, true);
  BOOST_TEST(!s.torn.has_value());
  BOOST_TEST(!s.corrupt.has_value());
  BOOST_TEST(s.records.size() == b.payloads.size());
  BOOST_TEST(is_prefix(s, b));
  BOOST_TEST(s.durable_end == b.bytes.size());
  BOOST_TEST(s.next_lsn == 100 + b.payloads.size());
  BOOST_TEST(s.header->instance[0] == 7);
}

BOOST_AUTO_TEST_CASE(truncation_at_every_offset_of_the_last_8_batches_cuts_back_to_a_batch_end) {
  const auto b = build_segment(1, 40, 2);
  const std::size_t from = b.batch_ends[b.batch_ends.size() - 9];
  int torn = 0;
  j::segment_scan reused;  // recovery scans segment after segment into one: nothing may carry over
  std::string flipped = b.bytes;
  flipped[b.record_starts[3] + 2] ^= 1;
  for (std::size_t cut = from; cut <= b.bytes.size(); ++cut) {
    const std::string truncated = b.bytes.substr(0, cut);
    const auto s = j::scan_segment(view(truncated), 1, true);
    j::scan_segment(view(cut % 2 == 0 ? b.bytes : flipped), 1, false, reused);  // leaves records or damage
    j::scan_segment(view(truncated), 1, true, reused);
    BOOST_TEST_REQUIRE(reused.records.size() == s.records.size(), "cut at " << cut);
    BOOST_TEST_REQUIRE(reused.torn.has_value() == s.torn.has_value());
    BOOST_TEST_REQUIRE(reused.corrupt.has_value() == s.corrupt.has_value());
    BOOST_TEST_REQUIRE(reused.durable_end == s.durable_end);
    BOOST_TEST_REQUIRE(reused.next_lsn == s.next_lsn);
    BOOST_TEST_REQUIRE(is_prefix(reused, b));
    BOOST_TEST_REQUIRE(!s.corrupt.has_value(), "cut at " << cut << ": " << s.corrupt->reason);
    // Everything up to the last batch end at or before the cut, nothing after.
    std::size_t expect_records = 0;
    std::size_t expect_end = j::segment_header_size;
    for (std::size_t i = 0; i < b.batch_ends.size(); ++i) {
      if (b.batch_ends[i] <= cut) {
        expect_records = b.records_before_batch_end[i];
        expect_end = b.batch_ends[i];
      }
    }
    BOOST_TEST_REQUIRE(s.records.size() == expect_records, "cut at " << cut);
    BOOST_TEST_REQUIRE(s.durable_end == expect_end);
    BOOST_TEST_REQUIRE(s.torn.has_value() == (cut != expect_end), "cut at " << cut);
    BOOST_TEST_REQUIRE(is_prefix(s, b));
    torn += s.torn.has_value();
  }
  BOOST_TEST(torn > 0);
}

BOOST_AUTO_TEST_CASE(every_bit_flip_in_the_last_16_records_is_detected) {
  const auto b = build_segment(1, 30, 3);
  const std::size_t from = b.record_starts[b.record_starts.size() - 16];
  std::size_t flips = 0, corrupt = 0, torn = 0;
  for (std::size_t byte = from; byte < b.bytes.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = b.bytes;
      damaged[byte] = static_cast<char>(damaged[byte] ^ (1 << bit));
      const auto s = j::scan_segment(view(damaged), 1, true);
      ++flips;
      BOOST_TEST_REQUIRE((s.torn.has_value() || s.corrupt.has_value()),
                         "silent flip at byte " << byte << " bit " << bit);
      BOOST_TEST_REQUIRE(is_prefix(s, b));
      corrupt += s.corrupt.has_value();
      torn += s.torn.has_value();
    }
  }
  BOOST_TEST_MESSAGE(flips << " flips: " << corrupt << " corruption (fail closed), " << torn
                           << " torn final batch (cut and reported)");
  BOOST_TEST(corrupt > 0);
  BOOST_TEST(torn > 0);
}

BOOST_AUTO_TEST_CASE(every_bit_flip_in_the_segment_header_fails_closed) {
  const auto b = build_segment(1, 3, 4);
  for (std::size_t byte = 0; byte < j::segment_header_size; ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = b.bytes;
      damaged[byte] = static_cast<char>(damaged[byte] ^ (1 << bit));
      const auto s = j::scan_segment(view(damaged), 1, true);
      BOOST_TEST_REQUIRE(s.corrupt.has_value(), "header byte " << byte << " bit " << bit);
      BOOST_TEST_REQUIRE(s.records.empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(a_zero_filled_tail_is_torn_and_keeps_every_record) {
  const auto b = build_segment(1, 10, 5);
  const std::string extended = b.bytes + std::string(4096, '\0');
  const auto s = j::scan_segment(view(extended), 1, true);
  BOOST_TEST(!s.corrupt.has_value());
  BOOST_REQUIRE(s.torn.has_value());
  BOOST_TEST(s.torn->reason == "zero-filled tail");
  BOOST_TEST(s.torn->offset == b.bytes.size());
  BOOST_TEST(s.records.size() == b.payloads.size());
}

BOOST_AUTO_TEST_CASE(zeros_after_the_last_batch_end_a_preallocated_segment_cleanly_and_nothing_else) {
  for (bool newest : {true, false}) {
    auto b = build_segment(1, 20, 31, /*preallocated=*/true);
    const std::size_t end = b.bytes.size();
    b.bytes.append(4096, '\0');
    const auto s = j::scan_segment(view(b.bytes), 1, newest);
    BOOST_TEST(!s.torn.has_value());
    BOOST_TEST(!s.corrupt.has_value());
    BOOST_TEST(s.records.size() == b.payloads.size());
    BOOST_TEST(s.durable_end == end);
    // The same bytes without the flag: a torn tail in the newest segment, corruption in a sealed one.
    auto plain = build_segment(1, 20, 31);
    plain.bytes.append(4096, '\0');
    const auto p = j::scan_segment(view(plain.bytes), 1, newest);
    BOOST_TEST((newest ? p.torn.has_value() : p.corrupt.has_value()));
    // A stray byte in the zeros is damage: torn in the newest segment, corruption in a sealed one.
    auto stray = b.bytes;
    stray[end + 1000] = 1;
    const auto d = j::scan_segment(view(stray), 1, newest);
    BOOST_TEST((newest ? d.torn.has_value() : d.corrupt.has_value()));
    BOOST_TEST(d.records.size() == b.payloads.size());
  }
  // A header without the flag decodes as not preallocated; with it, as preallocated.
  std::string h;
  j::segment_header ph;
  ph.preallocated = true;
  j::encode(ph, h);
  const auto decoded = j::decode_segment_header(view(h));
  BOOST_REQUIRE(decoded.has_value());
  BOOST_TEST(decoded->preallocated);
  BOOST_TEST(decoded->version == j::format_version);
}

BOOST_AUTO_TEST_CASE(a_torn_write_into_preallocated_zeros_cuts_back_to_a_batch_end_at_every_offset) {
  const auto b = build_segment(1, 30, 32, /*preallocated=*/true);
  const std::size_t from = b.batch_ends[30 - 8 - 1];
  for (std::size_t off = from; off < b.bytes.size(); ++off) {
    // A crash inside a batch written over the zeros: its first `off` bytes reached the disk.
    std::string crashed = b.bytes.substr(0, off);
    crashed.append(b.bytes.size() - off + 2048, '\0');
    const std::size_t k = batch_at(b, off);
    const std::size_t kept = k == 0 ? 0 : b.records_before_batch_end[k - 1];
    const bool at_batch_end = off == b.batch_ends[k - 1];
    const auto s = j::scan_segment(view(crashed), 1, true);
    BOOST_TEST(!s.corrupt.has_value(), "cut at " << off);
    BOOST_TEST(s.records.size() == kept, "cut at " << off);
    BOOST_TEST((at_batch_end ? !s.torn.has_value() : s.torn.has_value()), "cut at " << off);
    BOOST_TEST(is_prefix(s, b), "cut at " << off);
    // In a sealed segment the same is corruption unless it ends at a batch end.
    const auto sealed = j::scan_segment(view(crashed), 1, false);
    BOOST_TEST((at_batch_end ? !sealed.corrupt.has_value() : sealed.corrupt.has_value()), "sealed, cut at " << off);
  }
}

BOOST_AUTO_TEST_CASE(corrupted_lengths_are_never_trusted) {
  const auto b = build_segment(1, 10, 6);
  const std::size_t rec = b.record_starts[b.record_starts.size() / 2];
  for (std::uint32_t len : {0U, 1U, 1000U, 0x7fffffffU, 0xffffffffU}) {
    std::string damaged = b.bytes;
    for (int i = 0; i < 4; ++i) damaged[rec + 4 + i] = static_cast<char>((len >> (8 * i)) & 0xffU);
    const auto s = j::scan_segment(view(damaged), 1, true);
    BOOST_TEST(s.corrupt.has_value());  // a later batch follows: the damaged one had been synced
    BOOST_TEST(is_prefix(s, b));
  }
}

BOOST_AUTO_TEST_CASE(damage_in_a_sealed_segment_fails_closed) {
  const auto b = build_segment(1, 10, 7);
  const std::string truncated = b.bytes.substr(0, b.bytes.size() - 3);
  const auto s = j::scan_segment(view(truncated), 1, /*last=*/false);
  BOOST_REQUIRE(s.corrupt.has_value());
  BOOST_TEST(s.corrupt->reason.find("sealed") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_lsn_gap_or_a_foreign_segment_fails_closed) {
  const auto b = build_segment(50, 3, 8);
  BOOST_TEST(j::scan_segment(view(b.bytes), 49, true).corrupt.has_value());
  // A CRC-valid record with the wrong LSN cannot be a torn write.
  auto c = build_segment(1, 3, 9);
  std::string tail;
  j::encode_record(1000, 1000, j::record_type::ack, j::batch_end, "x", tail);
  const auto s = j::scan_segment(view(c.bytes + tail), 1, true);
  BOOST_REQUIRE(s.corrupt.has_value());
  BOOST_TEST(s.corrupt->after_lsn == c.payloads.size());
}

BOOST_AUTO_TEST_CASE(the_durable_lag_round_trips_and_saturates) {
  BOOST_TEST(j::durable_lag_of(10, 9) == 0U);  // everything before the batch was durable
  BOOST_TEST(j::durable_lag_of(10, 4) == 5U);
  BOOST_TEST(j::durable_lag_of(1, 0) == 0U);  // nothing before LSN 1
  BOOST_TEST(j::durable_lag_of(1'000'000, 1) == j::durable_lag_unknown);
  std::string rec;
  j::encode_record(10, 10, j::record_type::ack, j::batch_end, "x", rec, j::durable_lag_of(10, 4));
  const auto h = j::decode_record_header({reinterpret_cast<const std::uint8_t*>(rec.data()), rec.size()});
  BOOST_REQUIRE(h.has_value());
  BOOST_TEST(j::durable_when_written(*h) == 4U);
  j::record_header unknown = *h;
  unknown.durable_lag = j::durable_lag_unknown;
  BOOST_TEST(j::durable_when_written(unknown) == 0U);
}

// Batches written after the last completed sync may all be torn, the earlier ones intact or not,
// in any order; the batch before them cannot be. The lag each record carries is what tells the
// two apart: the same damage with the lag left at 0 (as a writer that waits for each sync writes
// it) is refused as corruption.
BOOST_AUTO_TEST_CASE(torn_batches_written_during_a_sync_are_cut_not_refused) {
  constexpr int depth = 4;
  const auto p = build_pipelined(12, depth, 21);
  // Damage the third-to-last batch; the two after it survive whole but were written before it
  // was durable.
  const std::size_t k = p.b.batch_ends.size() - 3;
  std::string damaged = p.b.bytes;
  damaged[p.b.batch_ends[k] - 2] ^= 0x10;
  const auto s = j::scan_segment(view(damaged), 1, true);
  BOOST_REQUIRE(s.torn.has_value());
  BOOST_TEST(!s.corrupt.has_value());
  BOOST_TEST(s.records.size() == p.b.records_before_batch_end[k - 1]);
  BOOST_TEST(s.torn->offset == p.b.batch_ends[k - 1]);
  BOOST_TEST(is_prefix(s, p.b));

  const auto unlagged = build_pipelined(12, depth, 21, /*record_lag=*/false);
  std::string same = unlagged.b.bytes;
  same[unlagged.b.batch_ends[k] - 2] ^= 0x10;
  BOOST_TEST(j::scan_segment(view(same), 1, true).corrupt.has_value());

  // Damage to a batch that a later record proves durable fails closed.
  const std::size_t proven = p.b.batch_ends.size() - depth - 2;
  std::string flipped = p.b.bytes;
  flipped[p.b.batch_ends[proven] - 2] ^= 0x10;
  const auto c = j::scan_segment(view(flipped), 1, true);
  BOOST_REQUIRE(c.corrupt.has_value());
  BOOST_TEST(c.corrupt->reason.find("was durable") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(pipelined_torture_every_offset_of_the_last_batches) {
  constexpr int depth = 3;
  constexpr int batches = 40;
  const auto p = build_pipelined(batches, depth, 22);
  const auto& b = p.b;
  const std::size_t from = b.batch_ends[batches - depth - 8 - 1];
  std::size_t torn = 0;
  std::size_t refused = 0;
  for (std::size_t off = from; off < b.bytes.size(); ++off) {
    const std::size_t k = batch_at(b, off);
    const std::size_t kept = k == 0 ? 0 : b.records_before_batch_end[k - 1];
    // Cut here: nothing after the damage survives to prove anything, so it is always torn.
    const auto cut = j::scan_segment(view(b.bytes.substr(0, off)), 1, true);
    BOOST_TEST((cut.torn.has_value() || off == b.batch_ends[k - 1]), "cut at " << off);
    BOOST_TEST(!cut.corrupt.has_value(), "cut at " << off);
    BOOST_TEST(cut.records.size() == kept, "cut at " << off);
    // Flip a bit here: corruption exactly when a later batch says batch k was durable.
    bool proven = false;
    for (std::size_t later = k + 1; later < b.batch_ends.size(); ++later) proven |= p.durable[later] >= p.first_lsn[k];
    std::string damaged = b.bytes;
    damaged[off] ^= static_cast<char>(1U << (off % 8));
    const auto s = j::scan_segment(view(damaged), 1, true);
    BOOST_TEST(is_prefix(s, b), "flip at " << off);
    if (proven) {
      BOOST_TEST(s.corrupt.has_value(), "flip at " << off << " in batch " << k);
      ++refused;
    } else {
      BOOST_TEST((s.torn.has_value() && s.records.size() == kept), "flip at " << off << " in batch " << k);
      ++torn;
    }
  }
  BOOST_TEST(torn > 0U);
  BOOST_TEST(refused > 0U);
  BOOST_TEST_MESSAGE(torn << " offsets torn (written after the last sync), " << refused << " refused");
}

BOOST_AUTO_TEST_CASE(segment_names_sort_by_lsn_and_parse_back) {
  BOOST_TEST(j::segment_file_name(42) == "00000000000000000042.sjl");
  BOOST_TEST(*j::parse_segment_file_name("00000000000000000042.sjl") == 42U);
  BOOST_TEST(!j::parse_segment_file_name("0000000000000000042.sjl").has_value());
  BOOST_TEST(!j::parse_segment_file_name("0000000000000000004x.sjl").has_value());
  BOOST_TEST(j::segment_file_name(9) < j::segment_file_name(10));
}

BOOST_AUTO_TEST_SUITE_END()
