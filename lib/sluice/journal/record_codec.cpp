// Journal record payloads (see record_codec.hpp).
#include "sluice/journal/record_codec.hpp"

#include "sluice/journal/little_endian.hpp"

#include <type_traits>

namespace sluice::journal {

namespace {

class writer {
 public:
  explicit writer(std::string& out) : out_(out) {}
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void varint(std::uint64_t v) {
    while (v >= 0x80) {
      u8(static_cast<std::uint8_t>(v | 0x80));
      v >>= 7;
    }
    u8(static_cast<std::uint8_t>(v));
  }
  void u64(std::uint64_t v) { le::put64(out_, v); }
  void str(std::string_view s) {
    varint(s.size());
    out_.append(s);
  }
  void id(const message_id& i) {
    u64(i.hi);
    u64(i.lo);
  }
  void time(sys_time t) {
    u64(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count()));
  }
  void headers(const std::vector<header>& h) {
    varint(h.size());
    for (const auto& [k, v] : h) {
      str(k);
      str(v);
    }
  }

 private:
  std::string& out_;
};

class reader {
 public:
  explicit reader(std::string_view in) : in_(in) {}
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] bool done() const { return ok_ && pos_ == in_.size(); }
  std::uint8_t u8() {
    if (pos_ >= in_.size()) return fail<std::uint8_t>();
    return static_cast<std::uint8_t>(in_[pos_++]);
  }
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const std::uint8_t b = u8();
      if (!ok_) return 0;
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return fail<std::uint64_t>();
  }
  std::uint64_t u64() {
    if (in_.size() - pos_ < 8 || pos_ > in_.size()) return fail<std::uint64_t>();
    const std::uint64_t v = le::get64(in_.data() + pos_);
    pos_ += 8;
    return v;
  }
  std::string str() {
    const std::uint64_t n = varint();
    if (!ok_ || n > in_.size() - pos_) return fail<std::string>();
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  message_id id() {
    message_id i;
    i.hi = u64();
    i.lo = u64();
    return i;
  }
  sys_time time() {
    return sys_time(
        std::chrono::duration_cast<sys_time::duration>(std::chrono::nanoseconds(static_cast<std::int64_t>(u64()))));
  }
  std::uint32_t u32v() {
    const std::uint64_t v = varint();
    if (v > UINT32_MAX) return fail<std::uint32_t>();
    return static_cast<std::uint32_t>(v);
  }
  std::vector<header> headers() {
    const std::uint64_t n = varint();
    if (!ok_ || n > in_.size() - pos_) return fail<std::vector<header>>();  // each header takes >= 2 bytes
    std::vector<header> h;
    for (std::uint64_t i = 0; i < n && ok_; ++i) {
      std::string k = str();
      std::string v = str();
      h.emplace_back(std::move(k), std::move(v));
    }
    return h;
  }

 private:
  template <class T>
  T fail() {
    ok_ = false;
    return T{};
  }
  std::string_view in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace

const message_id& event_id(const event& e) noexcept {
  return std::visit(
      [](const auto& ev) -> const message_id& {
        if constexpr (std::is_same_v<std::decay_t<decltype(ev)>, enqueue_event>) {
          return ev.m.id;
        } else {
          return ev.id;
        }
      },
      e);
}

void encode_enqueue(std::string_view queue, const message& m, std::string& out) {
  // One allocation: grown byte by byte, a 256-byte message reallocated the string five times.
  constexpr std::size_t fixed = std::size_t{2 * 16 + 4 * 8 + 8 * 10};  // ids, times, varints, lengths (at most)
  std::size_t size = fixed + queue.size() + m.type.size() + m.payload.size() + m.correlation_id.size() +
                     m.dedup_key.size() + m.ordering_key.size();
  for (const auto& [k, v] : m.headers) size += k.size() + v.size() + std::size_t{20};  // and two lengths
  out.reserve(out.size() + size);
  writer w(out);
  w.str(queue);
  w.id(m.id);
  w.str(m.type);
  w.str(m.payload);
  w.str(m.correlation_id);
  w.id(m.causation_id);
  w.headers(m.headers);
  w.str(m.dedup_key);
  w.str(m.ordering_key);
  w.time(m.enqueued_at);
  w.time(m.not_before);
  w.varint(m.attempt);
  w.varint(m.snoozes);
  w.varint(m.replays);
  w.varint(m.lease_epoch);
  w.time(m.first_failure_at);
}

record_type encode_event(const event& e, std::string& out) {
  writer w(out);
  return std::visit(
      [&](const auto& ev) -> record_type {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, enqueue_event>) {
          encode_enqueue(ev.queue, ev.m, out);
          return record_type::enqueue;
        } else if constexpr (std::is_same_v<T, checkout_event>) {
          w.id(ev.id);
          w.varint(ev.attempt);
          w.varint(ev.lease_epoch);
          return record_type::checkout;
        } else if constexpr (std::is_same_v<T, ack_event>) {
          w.id(ev.id);
          return record_type::ack;
        } else if constexpr (std::is_same_v<T, reschedule_event>) {
          w.id(ev.id);
          w.time(ev.due);
          w.varint(ev.attempt);
          w.varint(ev.snoozes);
          w.time(ev.first_failure_at);
          return ev.snooze ? record_type::snooze : record_type::retry;
        } else if constexpr (std::is_same_v<T, dead_letter_event>) {
          w.id(ev.id);
          w.u8(static_cast<std::uint8_t>(ev.reason));
          w.str(ev.cause.error_type);
          w.str(ev.cause.what);
          w.time(ev.first_failure_at);
          w.time(ev.last_failure_at);
          w.time(ev.dead_lettered_at);
          return record_type::dead_letter;
        } else if constexpr (std::is_same_v<T, replay_event>) {
          w.id(ev.id);
          w.u8(ev.reset_attempts ? 1 : 0);
          return record_type::replay;
        } else if constexpr (std::is_same_v<T, purge_event>) {
          w.id(ev.id);
          return record_type::purge;
        } else if constexpr (std::is_same_v<T, replace_event>) {
          w.id(ev.id);
          w.str(ev.payload);
          w.headers(ev.headers);
          return record_type::replace;
        } else {
          static_assert(std::is_same_v<T, lease_event>);
          w.id(ev.id);
          w.varint(ev.lease_epoch);
          w.time(ev.until);
          return record_type::lease;
        }
      },
      e);
}

bool decode_enqueue(std::string_view payload, std::string& queue, message& m) {
  reader r(payload);
  queue = r.str();
  m.id = r.id();
  m.type = r.str();
  m.payload = r.str();
  m.correlation_id = r.str();
  m.causation_id = r.id();
  m.headers = r.headers();
  m.dedup_key = r.str();
  m.ordering_key = r.str();
  m.enqueued_at = r.time();
  m.not_before = r.time();
  m.attempt = r.u32v();
  m.snoozes = r.u32v();
  m.replays = r.u32v();
  m.lease_epoch = r.varint();
  m.first_failure_at = r.time();
  return r.done();
}

std::optional<event> decode_event(record_type type, std::string_view payload) {
  reader r(payload);
  event e;
  switch (type) {
    case record_type::enqueue: {
      enqueue_event ev;
      if (!decode_enqueue(payload, ev.queue, ev.m)) return std::nullopt;
      return event(std::move(ev));  // checked to its end by decode_enqueue
    }
    case record_type::checkout: {
      checkout_event ev;
      ev.id = r.id();
      ev.attempt = r.u32v();
      ev.lease_epoch = r.varint();
      e = ev;
      break;
    }
    case record_type::ack:
      e = ack_event{r.id()};
      break;
    case record_type::retry:
    case record_type::snooze: {
      reschedule_event ev;
      ev.id = r.id();
      ev.due = r.time();
      ev.attempt = r.u32v();
      ev.snoozes = r.u32v();
      ev.first_failure_at = r.time();
      ev.snooze = type == record_type::snooze;
      e = ev;
      break;
    }
    case record_type::dead_letter: {
      dead_letter_event ev;
      ev.id = r.id();
      const auto reason = r.u8();
      if (reason > static_cast<std::uint8_t>(dead_letter_reason::permanent_failure)) return std::nullopt;
      ev.reason = static_cast<dead_letter_reason>(reason);
      ev.cause.error_type = r.str();
      ev.cause.what = r.str();
      ev.first_failure_at = r.time();
      ev.last_failure_at = r.time();
      ev.dead_lettered_at = r.time();
      e = std::move(ev);
      break;
    }
    case record_type::replay: {
      replay_event ev;
      ev.id = r.id();
      const auto flag = r.u8();
      if (flag > 1) return std::nullopt;
      ev.reset_attempts = flag == 1;
      e = ev;
      break;
    }
    case record_type::purge:
      e = purge_event{r.id()};
      break;
    case record_type::replace: {
      replace_event ev;
      ev.id = r.id();
      ev.payload = r.str();
      ev.headers = r.headers();
      e = std::move(ev);
      break;
    }
    case record_type::lease: {
      lease_event ev;
      ev.id = r.id();
      ev.lease_epoch = r.varint();
      ev.until = r.time();
      e = ev;
      break;
    }
    default:
      return std::nullopt;
  }
  if (!r.done()) return std::nullopt;  // truncated, or trailing bytes
  return e;
}

}  // namespace sluice::journal
