// libFuzzer target: the first byte picks a record type, the rest is its payload. decode_event must
// reject or decode anything without crashing, and what it decodes must encode back to the input.
#include "sluice/journal/record_codec.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace j = sluice::journal;
  if (size == 0) return 0;
  const auto type = static_cast<j::record_type>(data[0]);
  const std::string_view payload(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto e = j::decode_event(type, payload);
  if (!e) return 0;
  std::string again;
  const auto t = j::encode_event(*e, again);
  // retry and snooze share a layout; varints have one canonical encoding only if minimal, so
  // compare by decoding again rather than bytes.
  const auto back = j::decode_event(t, again);
  if (!back) std::abort();
  std::string third;
  (void)j::encode_event(*back, third);
  if (third != again) std::abort();
  return 0;
}
