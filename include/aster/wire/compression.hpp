// zstd for COMPRESSED data frames, as aster-rpc 0.1.2 uses it
// (aster-rpc@0972ac9:bindings/python/aster/codec.py `encode_compressed`, `_safe_decompress`):
// the sender compresses a data payload larger than kCompressionThreshold at python-zstandard's
// default level (3); the receiver decompresses streaming, stopping at kMaxDecompressedSize and
// never trusting the frame's declared content size (a decompression bomb costs at most the cap).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "aster/status.hpp"
#include "aster/wire/frame.hpp"

namespace aster::wire {

inline constexpr int kZstdLevel = 3;

Result<std::vector<uint8_t>> zstd_compress(std::span<const uint8_t> data, int level = kZstdLevel);
// Appends one frame carrying zstd(payload), flags | COMPRESSED, compressed in place (no
// separate compressed buffer). The same bytes as append_frame(out, flags | COMPRESSED,
// zstd_compress(payload)).
Status append_compressed_frame(std::vector<uint8_t>& out, uint8_t flags,
                               std::span<const uint8_t> payload);
// Appends one data frame carrying `payload`, zstd-compressed (flag COMPRESSED) when `compress`
// and the payload is larger than kCompressionThreshold, whether or not that shrinks it: 0.1.2's
// `encode_compressed` (aster-rpc@0972ac9:bindings/python/aster/codec.py), which JSON senders
// never use (compress = false for them).
Status append_data_frame(std::vector<uint8_t>& out, std::span<const uint8_t> payload,
                         bool compress);
// kResourceExhausted past `limit` output bytes; kInvalidArgument for corrupt or truncated input.
Result<std::vector<uint8_t>> zstd_decompress(std::span<const uint8_t> data,
                                             size_t limit = kMaxDecompressedSize);

// A data frame's payload as the application sees it: decompressed when COMPRESSED is set.
Result<std::vector<uint8_t>> data_payload(Frame frame, size_t limit = kMaxDecompressedSize);
// The same from a frame still in the decoder's buffer (copied, or decompressed, out of it).
Result<std::vector<uint8_t>> data_payload(const FrameView& frame,
                                          size_t limit = kMaxDecompressedSize);

}  // namespace aster::wire
