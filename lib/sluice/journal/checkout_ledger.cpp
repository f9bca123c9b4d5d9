// The checkout ledger (see checkout_ledger.hpp).
#include "sluice/journal/checkout_ledger.hpp"

#include "sluice/journal/crc32c.hpp"
#include "sluice/journal/little_endian.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>

namespace sluice::journal {

static_assert(std::endian::native == std::endian::little, "the ledger's words are stored little-endian");

namespace {

constexpr std::uint64_t magic = 0x4b43454349554c53ULL;  // "SLUICECK"
constexpr std::uint32_t version = checkout_ledger::format_version;
constexpr std::size_t words_per_line = checkout_ledger::line_bytes / sizeof(std::uint64_t);

// The CRC of an entry covers where it is, so an entry copied to another slot is not valid there.
std::uint32_t entry_crc(std::uint32_t slot, std::uint32_t half, const checkout_event& c) {
  char buf[4 + 4 + 8 + 8 + 8 + 4];
  le::store32(buf, slot);
  le::store32(buf + 4, half);
  le::store64(buf + 8, c.id.hi);
  le::store64(buf + 16, c.id.lo);
  le::store64(buf + 24, c.lease_epoch);
  le::store32(buf + 32, c.attempt);
  return crc32c::value(buf, sizeof buf);
}

using header = std::array<std::uint64_t, words_per_line>;

// The header's last word: the CRC32C of the seven before it.
std::uint32_t header_crc(const header& h) { return crc32c::value(h.data(), 7 * sizeof(std::uint64_t)); }

header header_words(const instance_id& instance) {
  header h{};
  h[0] = magic;
  h[1] = std::uint64_t{version} | (std::uint64_t{checkout_ledger::slot_count} << 32);
  std::memcpy(&h[2], instance.data(), instance.size());
  h[7] = header_crc(h);
  return h;
}

}  // namespace

checkout_ledger::slot::~slot() {
  if (ledger_) ledger_->release(index_);
}

void checkout_ledger::slot::note(const checkout_event& c) noexcept {
  const std::uint32_t half = half_;
  half_ ^= 1U;
  std::uint64_t* e = ledger_->map_->words().data() + (std::size_t{index_} + 1) * words_per_line + std::size_t{half} * 4;
  const std::uint64_t last = std::uint64_t{c.attempt} | (std::uint64_t{entry_crc(index_, half, c)} << 32);
  std::atomic_ref<std::uint64_t>(e[0]).store(c.id.hi, std::memory_order_relaxed);
  std::atomic_ref<std::uint64_t>(e[1]).store(c.id.lo, std::memory_order_relaxed);
  std::atomic_ref<std::uint64_t>(e[2]).store(c.lease_epoch, std::memory_order_relaxed);
  std::atomic_ref<std::uint64_t>(e[3]).store(last, std::memory_order_relaxed);
  // In program order before whatever runs next on this thread (the handler): a crash there finds
  // the stores in the page. No hardware fence is needed for that: the kernel keeps what this
  // thread stored, whichever core's buffer it drained from.
  std::atomic_signal_fence(std::memory_order_seq_cst);
}

std::optional<std::vector<ledger_entry>> checkout_ledger::read(std::span<const std::uint8_t> bytes,
                                                               const instance_id& instance, std::string& why) {
  if (bytes.size() < line_bytes) {
    why = "it is " + std::to_string(bytes.size()) + " bytes long";
    return std::nullopt;
  }
  header h{};
  std::memcpy(h.data(), bytes.data(), line_bytes);
  if (h[0] != magic || h[7] != header_crc(h)) {
    why = "its header is damaged";
    return std::nullopt;
  }
  if ((h[1] & 0xffffffffU) != version) {
    why = "it has version " + std::to_string(h[1] & 0xffffffffU);
    return std::nullopt;
  }
  if (std::memcmp(&h[2], instance.data(), instance.size()) != 0) {
    why = "it belongs to another instance";
    return std::nullopt;
  }
  const auto slots = std::min<std::size_t>(h[1] >> 32, bytes.size() / line_bytes - 1);
  std::vector<ledger_entry> out;
  for (std::uint32_t s = 0; s < slots; ++s) {
    for (std::uint32_t half = 0; half < 2; ++half) {
      const std::uint8_t* e = bytes.data() + (std::size_t{s} + 1) * line_bytes + std::size_t{half} * 32;
      ledger_entry entry{s, {}};
      entry.checkout.id = message_id{le::get64(e), le::get64(e + 8)};
      entry.checkout.lease_epoch = le::get64(e + 16);
      entry.checkout.attempt = le::get32(e + 24);
      if (entry.checkout.id.empty() || le::get32(e + 28) != entry_crc(s, half, entry.checkout)) continue;
      out.push_back(entry);
    }
  }
  return out;
}

boost::system::result<std::shared_ptr<checkout_ledger>> checkout_ledger::open(fs::file_system& files,
                                                                              const std::string& path,
                                                                              const instance_id& instance,
                                                                              std::vector<ledger_entry>& left,
                                                                              std::string& note, std::string& detail) {
  left.clear();
  auto f = files.open(path, fs::open_mode::create);
  if (!f) {
    detail = "cannot open " + path + ": " + f.error().message();
    return f.error();
  }
  auto bytes = fs::read_all(**f);
  if (!bytes) {
    detail = "cannot read " + path + ": " + bytes.error().message();
    return bytes.error();
  }
  std::string why;
  std::optional<std::vector<ledger_entry>> entries;
  if (!bytes->empty()) entries = read(*bytes, instance, why);
  if (entries) left = std::move(*entries);  // a valid header: its entries are this instance's
  if (!entries || bytes->size() != file_bytes) {
    // New, damaged, resized or someone else's: rewritten from zeros (a damaged or foreign file's
    // entries are not trusted; a resized one's were read above), allocated on the disk once so
    // that the mapping's pages never need a block.
    if (!bytes->empty()) note = path + " was rebuilt: " + (entries ? "it has the wrong size" : why);
    std::vector<std::uint8_t> zeros(file_bytes, 0);
    const auto h = header_words(instance);
    std::memcpy(zeros.data(), h.data(), line_bytes);
    boost::system::error_code ec = (*f)->truncate(0);
    if (!ec) ec = (*f)->write_at(0, zeros);
    if (!ec) ec = (*f)->sync_data();
    if (ec) {
      detail = "cannot write " + path + ": " + ec.message();
      return ec;
    }
  }
  auto map = (*f)->map_shared(file_bytes);
  if (!map) {
    detail = "cannot map " + path + " into locked memory: " + map.error().message();
    return map.error();
  }
  std::vector<std::uint32_t> free(slot_count);
  for (std::uint32_t i = 0; i < slot_count; ++i) free[i] = slot_count - 1 - i;  // slot 0 first
  return std::make_shared<checkout_ledger>(std::move(*map), std::move(free));
}

checkout_ledger::checkout_ledger(std::unique_ptr<fs::shared_mapping> map, std::vector<std::uint32_t> free)
    : map_(std::move(map)), free_(std::move(free)), held_(slot_count, false) {}

std::optional<checkout_ledger::slot> checkout_ledger::acquire() {
  std::lock_guard lock(mutex_);
  if (free_.empty()) return std::nullopt;
  const std::uint32_t index = free_.back();
  free_.pop_back();
  return std::optional<slot>(std::in_place, shared_from_this(), index);
}

void checkout_ledger::release(std::uint32_t index) noexcept {
  std::lock_guard lock(mutex_);
  free_.push_back(index);  // capacity for every slot was reserved at construction
}

void checkout_ledger::hold(std::uint32_t index) {
  std::lock_guard lock(mutex_);
  if (index >= slot_count || held_[index]) return;
  auto it = std::find(free_.begin(), free_.end(), index);
  if (it == free_.end()) return;  // handed out already: not this method's case
  free_.erase(it);
  held_[index] = true;
}

void checkout_ledger::unhold(std::span<const std::uint32_t> indexes) {
  std::lock_guard lock(mutex_);
  for (const auto index : indexes) {
    if (index >= slot_count || !held_[index]) continue;
    held_[index] = false;
    free_.push_back(index);
  }
}

std::size_t checkout_ledger::in_use() const {
  std::lock_guard lock(mutex_);
  std::size_t held = 0;
  for (const bool h : held_) held += h ? 1 : 0;
  return slot_count - free_.size() - held;
}

}  // namespace sluice::journal
