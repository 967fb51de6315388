#include "aster/transport/quic_byte_stream.hpp"

#include <algorithm>
#include <cstring>

namespace aster::transport {
namespace {

class QuicByteStream final : public ByteStream {
 public:
  explicit QuicByteStream(BidiStream s) : s_(std::move(s)) {}

  asio::awaitable<Result<size_t>> read_some(std::span<uint8_t> buf) override {
    if (buf.empty()) co_return Status(StatusCode::kInvalidArgument, "read_some: empty buffer");
    if (eof_) co_return size_t{0};
    // read(max) returns at most `max` bytes, so nothing is left over between calls.
    ASTER_CO_ASSIGN_OR_RETURN(Chunk chunk, co_await s_.recv.read(buf.size()));
    if (chunk.fin() && chunk.size() == 0) {
      eof_ = true;
      co_return size_t{0};
    }
    const size_t n = std::min(buf.size(), chunk.size());
    std::memcpy(buf.data(), chunk.bytes().data(), n);
    if (chunk.fin()) eof_ = true;
    co_return n;
  }

  asio::awaitable<Result<std::vector<uint8_t>>> read_to_end(size_t limit) override {
    co_return co_await s_.recv.read_to_end(limit);
  }

  asio::awaitable<Status> write(std::span<const uint8_t> data) override {
    if (data.empty()) co_return Status::ok();
    co_return co_await s_.send.write(data);
  }

  asio::awaitable<Status> finish() override { co_return s_.send.finish(); }

  asio::awaitable<Status> write_and_finish(std::span<const uint8_t> data) override {
    if (!data.empty()) ASTER_CO_RETURN_IF_ERROR(co_await s_.send.write(data));
    co_return s_.send.finish();
  }

  Status reset(uint64_t code) override { return s_.send.reset(code); }
  Status stop(uint64_t code) override { return s_.recv.stop(code); }

 private:
  BidiStream s_;
  bool eof_ = false;
};

}  // namespace

std::unique_ptr<ByteStream> make_quic_byte_stream(BidiStream stream) {
  return std::make_unique<QuicByteStream>(std::move(stream));
}

}  // namespace aster::transport
