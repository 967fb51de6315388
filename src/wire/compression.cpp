#include "aster/wire/compression.hpp"

#include <zstd.h>

#include <memory>
#include <string>

namespace aster::wire {

Result<std::vector<uint8_t>> zstd_compress(std::span<const uint8_t> data, int level) {
  std::vector<uint8_t> out(ZSTD_compressBound(data.size()));
  const size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), level);
  if (ZSTD_isError(n)) {
    return Status(StatusCode::kInternal, std::string("zstd compress: ") + ZSTD_getErrorName(n));
  }
  out.resize(n);
  return out;
}

Result<std::vector<uint8_t>> zstd_decompress(std::span<const uint8_t> data, size_t limit) {
  struct DStreamFree {
    void operator()(ZSTD_DStream* d) const { ZSTD_freeDStream(d); }
  };
  std::unique_ptr<ZSTD_DStream, DStreamFree> ds(ZSTD_createDStream());
  if (!ds) return Status(StatusCode::kResourceExhausted, "zstd: out of memory");
  // Streaming with a growing output: the frame's declared content size is never trusted.
  std::vector<uint8_t> out;
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  size_t ret = 1;
  while (true) {
    const size_t chunk = ZSTD_DStreamOutSize();
    const size_t old = out.size();
    out.resize(old + chunk);
    ZSTD_outBuffer ob{out.data() + old, chunk, 0};
    ret = ZSTD_decompressStream(ds.get(), &ob, &in);
    out.resize(old + ob.pos);
    if (ZSTD_isError(ret)) {
      return Status(StatusCode::kInvalidArgument,
                    std::string("zstd decompress: ") + ZSTD_getErrorName(ret));
    }
    if (out.size() > limit) {
      return Status(StatusCode::kResourceExhausted,
                    "decompressed payload exceeds " + std::to_string(limit) + " bytes");
    }
    if (ret == 0 && in.pos == in.size) break;  // frame complete, input consumed
    if (in.pos == in.size && ob.pos < chunk) {
      // All input consumed, decoder flushed what it could, frame still open: truncated.
      return Status(StatusCode::kInvalidArgument, "zstd decompress: truncated input");
    }
  }
  return out;
}

Result<std::vector<uint8_t>> data_payload(Frame frame, size_t limit) {
  if (!frame.has(flags::kCompressed)) return std::move(frame.payload);
  return zstd_decompress(frame.payload, limit);
}

}  // namespace aster::wire
