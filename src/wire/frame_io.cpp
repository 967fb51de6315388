#include "aster/wire/frame_io.hpp"

#include <algorithm>

#include "aster/wire/compression.hpp"

namespace aster::wire {

size_t FrameReader::read_size() const {
  // Inside a body the remaining size is known; between frames only a small read is posted.
  return decoder_.in_body()
             ? std::clamp(decoder_.body_remaining(), kIdleReadSize, kReadSize)
             : kIdleReadSize;
}

Status FrameReader::take_read(Result<size_t> n) {
  if (!n.is_ok()) {
    decoder_.commit(0);
    // 0.1.2 treats any failure while reading the prefix as end of stream.
    if (!decoder_.in_body()) {
      ended_ = true;
      end_reason_ = n.status();
      return Status::ok();
    }
    return std::move(n).take_status();
  }
  decoder_.commit(*n);
  if (*n == 0) ended_ = true;
  return Status::ok();
}

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
    // Read straight into the decoder's buffer.
    std::span<uint8_t> room = decoder_.prepare(read_size());
    reading_ = true;
    Result<size_t> n = co_await stream_->read_some(room);
    reading_ = false;
    ASTER_CO_RETURN_IF_ERROR(take_read(std::move(n)));
  }
}

Result<std::optional<Frame>> FrameReader::buffered() {
  ASTER_ASSIGN_OR_RETURN(std::optional<FrameView> view, buffered_view());
  if (!view) return std::optional<Frame>();
  return std::optional<Frame>(view->copy());
}

Result<std::optional<FrameView>> FrameReader::buffered_view() {
  while (true) {
    ASTER_ASSIGN_OR_RETURN(std::optional<FrameView> frame, decoder_.next_view());
    if (frame || ended_ || reading_) return frame;  // at the end, next() says how it ended
    std::span<uint8_t> room = decoder_.prepare(read_size());
    Result<std::optional<size_t>> n = stream_->read_some_now(room);
    if (n.is_ok() && !n->has_value()) {
      decoder_.commit(0);
      return std::optional<FrameView>();  // would wait
    }
    ASTER_RETURN_IF_ERROR(take_read(n.is_ok() ? Result<size_t>(**n) : Result<size_t>(n.status())));
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
    std::vector<uint8_t> bytes;
    ASTER_CO_RETURN_IF_ERROR(append_compressed_frame(bytes, 0, payload));
    co_return co_await stream_->write(bytes);
  }
  co_return co_await write(0, payload);
}

}  // namespace aster::wire
