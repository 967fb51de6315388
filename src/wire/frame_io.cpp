#include "aster/wire/frame_io.hpp"

#include <algorithm>

#include "aster/wire/compression.hpp"

namespace aster::wire {

asio::awaitable<Result<std::optional<Frame>>> FrameReader::next() {
  while (true) {
    ASTER_CO_ASSIGN_OR_RETURN(std::optional<Frame> frame, decoder_.next());
    if (frame) co_return frame;
    if (ended_) {
      if (decoder_.in_body()) {
        co_return Status(StatusCode::kDataLoss,
                         "stream ended inside a frame (" + std::to_string(decoder_.body_remaining()) +
                             " bytes missing)");
      }
      co_return std::optional<Frame>();  // EOF inside or before the prefix: clean end
    }
    // Inside a body the remaining size is known; between frames only a small read is posted.
    const size_t want =
        decoder_.in_body() ? std::clamp(decoder_.body_remaining(), kIdleReadSize, kReadSize)
                           : kIdleReadSize;
    if (buf_.size() < want) {
      buf_.resize(want);
    } else if (buf_.size() > want && !decoder_.in_body()) {
      std::vector<uint8_t>(want).swap(buf_);  // give the big buffer back while waiting
    }
    Result<size_t> n = co_await stream_->read_some(std::span<uint8_t>(buf_.data(), want));
    if (!n.is_ok()) {
      // 0.1.2 treats any failure while reading the prefix as end of stream.
      if (!decoder_.in_body()) {
        ended_ = true;
        co_return std::optional<Frame>();
      }
      co_return std::move(n).take_status();
    }
    if (*n == 0) {
      ended_ = true;
      continue;
    }
    decoder_.feed(std::span<const uint8_t>(buf_.data(), *n));
  }
}

Result<std::vector<uint8_t>> FrameWriter::frame_bytes(uint8_t flags,
                                                     std::span<const uint8_t> payload) {
  return encode_frame(flags, payload);
}

asio::awaitable<Status> FrameWriter::write(uint8_t flags, std::span<const uint8_t> payload) {
  ASTER_CO_ASSIGN_OR_RETURN(auto bytes, frame_bytes(flags, payload));
  co_return co_await stream_->write(bytes);
}

asio::awaitable<Status> FrameWriter::write_and_finish(uint8_t flags,
                                                      std::span<const uint8_t> payload) {
  ASTER_CO_ASSIGN_OR_RETURN(auto bytes, frame_bytes(flags, payload));
  co_return co_await stream_->write_and_finish(bytes);
}

asio::awaitable<Status> FrameWriter::write_data(std::span<const uint8_t> payload, bool compress,
                                                size_t threshold) {
  if (compress && payload.size() > threshold) {
    ASTER_CO_ASSIGN_OR_RETURN(auto packed, zstd_compress(payload));
    co_return co_await write(flags::kCompressed, packed);
  }
  co_return co_await write(0, payload);
}

}  // namespace aster::wire
