#include "aster/wire/compression.hpp"

#include <zstd.h>

#include <algorithm>
#include <memory>
#include <string>

namespace aster::wire {

namespace {
// One compression and one decompression context per thread, reused: ZSTD_compress() would
// allocate and initialise a fresh context (about 1.3 MB of tables at level 3 for a 1 MiB
// input) for every payload. A reused context with the same level writes the same bytes
// (zstd.h: ZSTD_compress is ZSTD_compressCCtx with a temporary context).
struct CCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DStreamFree {
  void operator()(ZSTD_DStream* d) const { ZSTD_freeDStream(d); }
};

ZSTD_CCtx* thread_cctx() {
  thread_local std::unique_ptr<ZSTD_CCtx, CCtxFree> cctx(ZSTD_createCCtx());
  return cctx.get();
}

ZSTD_DStream* thread_dstream() {
  thread_local std::unique_ptr<ZSTD_DStream, DStreamFree> ds(ZSTD_createDStream());
  return ds.get();
}

// Compresses `data` into `out` from offset `at` on (resized to fit); the compressed size.
Result<size_t> compress_into(std::vector<uint8_t>& out, size_t at, std::span<const uint8_t> data,
                             int level) {
  ZSTD_CCtx* cctx = thread_cctx();
  if (!cctx) return Status(StatusCode::kResourceExhausted, "zstd: out of memory");
  out.resize(at + ZSTD_compressBound(data.size()));
  const size_t n =
      ZSTD_compressCCtx(cctx, out.data() + at, out.size() - at, data.data(), data.size(), level);
  if (ZSTD_isError(n)) {
    out.resize(at);
    return Status(StatusCode::kInternal, std::string("zstd compress: ") + ZSTD_getErrorName(n));
  }
  out.resize(at + n);
  return n;
}
}  // namespace

Result<std::vector<uint8_t>> zstd_compress(std::span<const uint8_t> data, int level) {
  std::vector<uint8_t> out;
  ASTER_RETURN_IF_ERROR(compress_into(out, 0, data, level).status());
  return out;
}

Status append_data_frame(std::vector<uint8_t>& out, std::span<const uint8_t> payload,
                         bool compress) {
  if (compress && payload.size() > kCompressionThreshold) {
    return append_compressed_frame(out, 0, payload);
  }
  return append_frame(out, 0, payload);
}

Status append_compressed_frame(std::vector<uint8_t>& out, uint8_t frame_flags,
                               std::span<const uint8_t> payload) {
  // Compressed straight behind a placeholder prefix, which is filled in once the size is known.
  const size_t at = out.size();
  ASTER_ASSIGN_OR_RETURN(size_t n, compress_into(out, at + kFramePrefixSize, payload, kZstdLevel));
  auto prefix = frame_prefix(static_cast<uint8_t>(frame_flags | flags::kCompressed), n);
  if (!prefix.is_ok()) {
    out.resize(at);
    return prefix.status();
  }
  std::copy(prefix->begin(), prefix->end(), out.begin() + static_cast<std::ptrdiff_t>(at));
  return Status::ok();
}

Result<std::vector<uint8_t>> zstd_decompress(std::span<const uint8_t> data, size_t limit) {
  ZSTD_DStream* ds = thread_dstream();
  if (!ds) return Status(StatusCode::kResourceExhausted, "zstd: out of memory");
  ZSTD_DCtx_reset(ds, ZSTD_reset_session_only);
  // Streaming with a growing output: the frame's declared content size is never trusted. It
  // is only a hint for the first allocation (bounded by the cap, plus one output step so the
  // last step does not reallocate).
  std::vector<uint8_t> out;
  const unsigned long long declared = ZSTD_getFrameContentSize(data.data(), data.size());
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR) {
    out.reserve(static_cast<size_t>(std::min<unsigned long long>(declared, limit)) +
                ZSTD_DStreamOutSize());
  }
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  size_t ret = 1;
  while (true) {
    const size_t chunk = ZSTD_DStreamOutSize();
    const size_t old = out.size();
    out.resize(old + chunk);
    ZSTD_outBuffer ob{out.data() + old, chunk, 0};
    ret = ZSTD_decompressStream(ds, &ob, &in);
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

Result<std::vector<uint8_t>> data_payload(const FrameView& frame, size_t limit) {
  if (!frame.has(flags::kCompressed)) {
    return std::vector<uint8_t>(frame.payload.begin(), frame.payload.end());
  }
  return zstd_decompress(frame.payload, limit);
}

}  // namespace aster::wire
