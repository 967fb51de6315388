#include "aster/transport/quic_byte_stream.hpp"

#include <algorithm>
#include <cstring>

namespace aster::transport {

asio::awaitable<Result<size_t>> QuicByteStream::read_some(std::span<uint8_t> buf) {
  if (buf.empty()) co_return Status(StatusCode::kInvalidArgument, "read_some: empty buffer");
  if (eof_) co_return size_t{0};
  // read(max) returns at most `max` bytes, so nothing is left over between calls.
  // The FIN usually arrives with the last bytes: taking it with them saves a read and the
  // STOP_SENDING noq would send when a stream is dropped before its FIN was read.
  ASTER_CO_ASSIGN_OR_RETURN(Chunk chunk, co_await s_.recv.read_with_fin(buf.size()));
  co_return take(chunk, buf);
}

Result<std::optional<size_t>> QuicByteStream::read_some_now(std::span<uint8_t> buf) {
  if (buf.empty()) return Status(StatusCode::kInvalidArgument, "read_some: empty buffer");
  if (eof_) return std::optional<size_t>(0);
  ASTER_ASSIGN_OR_RETURN(std::optional<Chunk> chunk, s_.recv.try_read_with_fin(buf.size()));
  if (!chunk) return std::optional<size_t>();
  return std::optional<size_t>(take(*chunk, buf));
}

asio::awaitable<Result<std::vector<uint8_t>>> QuicByteStream::read_to_end(size_t limit) {
  co_return co_await s_.recv.read_to_end(limit);
}

asio::awaitable<Status> QuicByteStream::write(std::span<const uint8_t> data) {
  if (data.empty()) co_return Status::ok();
  co_return co_await s_.send.write(data);
}

asio::awaitable<Status> QuicByteStream::finish() { co_return s_.send.finish(); }

// Not a coroutine: the send half's own awaitable (one bridge operation) is handed back, so
// the write that ends every call has no frame here.
asio::awaitable<Status> QuicByteStream::write_and_finish(std::span<const uint8_t> data) {
  if (data.empty()) return finish();
  return s_.send.write_and_finish(data);
}

Status QuicByteStream::reset(uint64_t code) { return s_.send.reset(code); }
Status QuicByteStream::stop(uint64_t code) { return s_.recv.stop(code); }

size_t QuicByteStream::take(const Chunk& chunk, std::span<uint8_t> buf) {
  const size_t n = std::min(buf.size(), chunk.size());
  if (n) std::memcpy(buf.data(), chunk.bytes().data(), n);
  if (chunk.fin()) eof_ = true;
  return n;
}

std::unique_ptr<ByteStream> make_quic_byte_stream(BidiStream stream) {
  return std::make_unique<QuicByteStream>(std::move(stream));
}

}  // namespace aster::transport
