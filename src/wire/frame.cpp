#include "aster/wire/frame.hpp"

#include <string>

namespace aster::wire {

Result<std::array<uint8_t, kFramePrefixSize>> frame_prefix(uint8_t flags, size_t payload_size) {
  if (payload_size == 0 && (flags & (flags::kTrailer | flags::kCancel)) == 0) {
    // aster-rpc@0972ac9:bindings/python/aster/framing.py `write_frame`.
    return Status(StatusCode::kInvalidArgument,
                  "zero-length payload is not permitted without TRAILER or CANCEL");
  }
  if (payload_size > kMaxFrameSize - 1) {
    return Status(StatusCode::kResourceExhausted,
                  "frame size " + std::to_string(payload_size + 1) + " exceeds maximum " +
                      std::to_string(kMaxFrameSize));
  }
  const auto len = static_cast<uint32_t>(payload_size + 1);
  return std::array<uint8_t, kFramePrefixSize>{
      static_cast<uint8_t>(len), static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len >> 16),
      static_cast<uint8_t>(len >> 24), flags};
}

Status append_frame(std::vector<uint8_t>& out, uint8_t flags, std::span<const uint8_t> payload) {
  ASTER_ASSIGN_OR_RETURN(auto prefix, frame_prefix(flags, payload.size()));
  out.insert(out.end(), prefix.begin(), prefix.end());
  out.insert(out.end(), payload.begin(), payload.end());
  return Status::ok();
}

Result<std::vector<uint8_t>> encode_frame(uint8_t flags, std::span<const uint8_t> payload) {
  std::vector<uint8_t> out;
  out.reserve(kFramePrefixSize + payload.size());
  ASTER_RETURN_IF_ERROR(append_frame(out, flags, payload));
  return out;
}

namespace {
// Buffers of decoders that ended on this thread, at most kSpares, each with room for an idle
// read and at most kSpareCapacity: enough for the calls one thread has in flight to start
// without allocating, without keeping a big frame's buffer around.
constexpr size_t kSpares = 8;
constexpr size_t kSpareCapacity = 64 * 1024;
}  // namespace

// Spare buffers are a thread_local of the Buffer type (a private member type). A decoder that
// ends after the thread's spares did (one in a static object, at exit) must not touch them:
// `gone` is trivially destructible, so it can still be read then.
template <typename Buffer>
static std::vector<Buffer>* spare_buffers() {
  thread_local bool gone = false;
  struct Spares {
    std::vector<Buffer> v;
    bool* gone;
    ~Spares() { *gone = true; }
  };
  if (gone) return nullptr;
  thread_local Spares spares{{}, &gone};
  return &spares.v;
}

FrameDecoder::~FrameDecoder() {
  if (buf_.capacity() == 0 || buf_.capacity() > kSpareCapacity) return;
  auto* spares = spare_buffers<Buffer>();
  if (spares == nullptr || spares->size() >= kSpares) return;
  buf_.clear();
  spares->push_back(std::move(buf_));
}

void FrameDecoder::adopt_spare() {
  if (buf_.capacity() != 0) return;
  auto* spares = spare_buffers<Buffer>();
  if (spares == nullptr || spares->empty()) return;
  buf_ = std::move(spares->back());
  spares->pop_back();
}

void FrameDecoder::compact() {
  if (pos_ > 0 && pos_ == buf_.size()) {
    // Everything consumed: don't keep a big frame's capacity while the stream idles.
    if (buf_.capacity() > kSpareCapacity) {
      Buffer().swap(buf_);
    } else {
      buf_.clear();
    }
    pos_ = 0;
    return;
  }
  // Drop consumed bytes before growing, so the buffer holds at most one frame plus one read.
  if (pos_ > 0 && pos_ >= buf_.size() / 2) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ = 0;
  }
}

void FrameDecoder::feed(std::span<const uint8_t> bytes) {
  if (!status_.is_ok() || bytes.empty()) return;
  compact();
  adopt_spare();
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
}

std::span<uint8_t> FrameDecoder::prepare(size_t n) {
  commit(0);  // a previous prepare() never committed: forget it
  compact();
  adopt_spare();
  const size_t old = buf_.size();
  buf_.resize(old + n);
  prepared_ = n;
  return {buf_.data() + old, n};
}

void FrameDecoder::commit(size_t k) {
  if (k > prepared_) k = prepared_;
  buf_.resize(buf_.size() - (prepared_ - k));
  prepared_ = 0;
}

static uint32_t read_len(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

Result<std::optional<FrameView>> FrameDecoder::next_view() {
  if (!status_.is_ok()) return status_;
  if (prepared_ != 0) return std::optional<FrameView>();
  compact();  // the frame a previous call returned is no longer needed
  if (buffered() < 4) return std::optional<FrameView>();
  const uint32_t len = read_len(buf_.data() + pos_);
  if (len == 0) {
    status_ = Status(StatusCode::kInvalidArgument, "zero-length frame");
    return status_;
  }
  if (len > max_) {
    status_ = Status(StatusCode::kResourceExhausted, "frame size " + std::to_string(len) +
                                                         " exceeds maximum " + std::to_string(max_));
    return status_;
  }
  if (buffered() - 4 < len) return std::optional<FrameView>();
  FrameView f;
  f.flags = buf_[pos_ + 4];
  f.payload = std::span<const uint8_t>(buf_.data() + pos_ + 5, len - 1);
  pos_ += 4 + static_cast<size_t>(len);
  return std::optional<FrameView>(f);
}

Result<std::optional<Frame>> FrameDecoder::next() {
  ASTER_ASSIGN_OR_RETURN(std::optional<FrameView> view, next_view());
  if (!view) return std::optional<Frame>();
  Frame f = view->copy();
  compact();  // nothing refers to the buffer now
  return std::optional<Frame>(std::move(f));
}

Result<std::optional<FrameView>> FrameSpanReader::next() {
  if (rest_.size() < 4) return std::optional<FrameView>();  // none, or the end inside a prefix
  const uint32_t len = read_len(rest_.data());
  if (len == 0) return Status(StatusCode::kInvalidArgument, "zero-length frame");
  if (len > max_) {
    return Status(StatusCode::kResourceExhausted,
                  "frame size " + std::to_string(len) + " exceeds maximum " + std::to_string(max_));
  }
  if (rest_.size() - 4 < len) {
    return Status(StatusCode::kDataLoss, "stream ended inside a frame (" +
                                             std::to_string(len - (rest_.size() - 4)) +
                                             " bytes missing)");
  }
  FrameView f{rest_[4], rest_.subspan(5, len - 1)};
  rest_ = rest_.subspan(4 + static_cast<size_t>(len));
  return std::optional<FrameView>(f);
}

size_t FrameDecoder::body_remaining() const {
  if (buffered() < 4) return buffered() == 0 ? 0 : 4 - buffered();
  const uint32_t len = read_len(buf_.data() + pos_);
  return buffered() - 4 >= len ? 0 : len - (buffered() - 4);
}

}  // namespace aster::wire
