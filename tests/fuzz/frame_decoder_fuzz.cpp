// libFuzzer target: the incremental frame decoder and what a receiver does with each frame
// (decompress a COMPRESSED data frame under the 16 MiB cap, decode HEADER / CALL / TRAILER
// payloads with the sniffing message decoders). The first input byte chooses the chunk size,
// so frames are also split at arbitrary points.
// Invariants: no crash or leak; a decoded frame re-encodes to the bytes it came from (when a
// writer may send it) and decodes again to the same frame; the same input fed whole or in
// chunks yields the same frames and the same final error.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "aster/wire/compression.hpp"
#include "aster/wire/frame.hpp"
#include "aster/wire/messages.hpp"

namespace {

using namespace aster::wire;

struct Outcome {
  std::vector<Frame> frames;
  bool failed = false;
};

Outcome decode_all(std::span<const uint8_t> data, size_t chunk) {
  // A small limit keeps the fuzzer fast; the real limit is exercised by the unit tests.
  FrameDecoder d(1 << 16);
  Outcome out;
  for (size_t pos = 0; pos < data.size() && !out.failed;) {
    const size_t n = std::min(chunk, data.size() - pos);
    d.feed(data.subspan(pos, n));
    pos += n;
    while (true) {
      auto r = d.next();
      if (!r.is_ok()) {
        out.failed = true;
        break;
      }
      if (!r->has_value()) break;
      out.frames.push_back(std::move(**r));
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = static_cast<size_t>(data[0]) + 1;
  std::span<const uint8_t> in(data + 1, size - 1);
  Outcome whole = decode_all(in, in.size() + 1);
  Outcome split = decode_all(in, chunk);
  if (whole.frames != split.frames || whole.failed != split.failed) __builtin_trap();
  for (const Frame& f : whole.frames) {
    auto bytes = encode_frame(f.flags, f.payload);
    if (bytes.is_ok()) {
      FrameDecoder again;
      again.feed(*bytes);
      auto back = again.next();
      if (!back.is_ok() || !back->has_value() || **back != f) __builtin_trap();
    } else if (!f.payload.empty() || f.has(flags::kTrailer) || f.has(flags::kCancel)) {
      __builtin_trap();  // only the empty non-control payload may be refused
    }
    if (f.has(flags::kTrailer)) {
      (void)decode_rpc_status(f.payload);
    } else if (f.has(flags::kHeader)) {
      (void)decode_stream_header(f.payload);
    } else if (f.has(flags::kCall)) {
      (void)decode_call_header(f.payload);
    } else if (f.has(flags::kCompressed)) {
      auto plain = data_payload(f, 1 << 20);
      if (plain.is_ok() && plain->size() > (1u << 20)) __builtin_trap();
    }
  }
  return 0;
}
