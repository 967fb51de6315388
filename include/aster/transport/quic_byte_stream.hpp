// transport::ByteStream over a QUIC bidi stream (stream.hpp), through its public
// SendStream/RecvStream operations only. Owns the stream: destroying it drops both halves with
// their documented effects (unfinished send side reset, unread receive side stopped).
#pragma once

#include <memory>

#include "aster/transport/byte_stream.hpp"
#include "aster/transport/stream.hpp"

namespace aster::transport {

class QuicByteStream final : public ByteStream {
 public:
  // Takes the stream by rvalue reference: one move of it, not two (a producer builds one per call).
  explicit QuicByteStream(BidiStream&& s) : s_(std::move(s)) {}

  asio::awaitable<Result<size_t>> read_some(std::span<uint8_t> buf) override;
  Result<std::optional<size_t>> read_some_now(std::span<uint8_t> buf) override;
  std::optional<std::span<const uint8_t>> whole() const override { return s_.recv.whole(); }
  asio::awaitable<Result<std::vector<uint8_t>>> read_to_end(size_t limit) override;
  asio::awaitable<Status> write(std::span<const uint8_t> data) override;
  asio::awaitable<Status> finish() override;
  asio::awaitable<Status> write_and_finish(std::span<const uint8_t> data) override;
  Status reset(uint64_t code) override;
  Status stop(uint64_t code) override;
  SendStream* quic_send() override { return &s_.send; }

 private:
  // Copies a chunk (at most buf.size() bytes: reads ask for no more) and notes the FIN.
  size_t take(const Chunk& chunk, std::span<uint8_t> buf);

  BidiStream s_;
  bool eof_ = false;
};

// The same on the heap, for holders of any ByteStream. A QuicByteStream held by value (a
// producer's call loop keeps one in its frame) saves that allocation per call.
std::unique_ptr<ByteStream> make_quic_byte_stream(BidiStream stream);

}  // namespace aster::transport
