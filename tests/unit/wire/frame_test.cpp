// Frame encoding and the incremental decoder against aster-rpc 0.1.2's
// conformance/vectors/framing.json, its size limits, and zstd with the decompression cap.
#include <gtest/gtest.h>

#include "aster/hex.hpp"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "aster/wire/compression.hpp"
#include "aster/wire/frame.hpp"

namespace {

using namespace aster::wire;
using aster::StatusCode;

std::string hex(std::span<const uint8_t> b) { return aster::to_hex(b); }
std::vector<uint8_t> unhex(std::string_view s) { return aster::from_hex(s).value(); }
nlohmann::json vectors() {
  std::ifstream in(std::string(ASTER_TEST_DATA_DIR) + "/framing.json");
  return nlohmann::json::parse(in);
}

TEST(WireFrame, EncodeVectors) {
  auto doc = vectors();
  ASSERT_EQ(doc["encode_vectors"].size(), 9u);
  for (const auto& v : doc["encode_vectors"]) {
    SCOPED_TRACE(v["name"].get<std::string>());
    auto got = encode_frame(v["flags"].get<uint8_t>(), unhex(v["payload_hex"].get<std::string>()));
    ASSERT_TRUE(got.is_ok()) << got.status().to_string();
    EXPECT_EQ(hex(*got), v["expected_wire_hex"].get<std::string>());
  }
}

// next_view() sees the frames next() copies, in place; a decoder that ends leaves its buffer
// to the next one on the thread, which must start empty whatever the last one held.
TEST(WireFrame, ViewsInPlaceAndSpareBuffersStartEmpty) {
  std::vector<uint8_t> wire;
  const std::vector<uint8_t> head = {1, 2, 3}, body(300, 7);
  ASSERT_TRUE(append_frame(wire, flags::kHeader, head).is_ok());
  ASSERT_TRUE(append_frame(wire, 0, body).is_ok());
  ASSERT_TRUE(append_frame(wire, flags::kTrailer, {}).is_ok());
  for (int round = 0; round < 3; ++round) {
    FrameDecoder d;
    auto room = d.prepare(wire.size() + 10);
    std::copy(wire.begin(), wire.end(), room.begin());
    d.commit(wire.size());
    auto h = d.next_view();
    ASSERT_TRUE(h.is_ok() && h->has_value());
    EXPECT_TRUE((*h)->has(flags::kHeader));
    EXPECT_EQ((*h)->copy().payload, head);
    auto b = d.next_view();
    ASSERT_TRUE(b.is_ok() && b->has_value());
    EXPECT_EQ((*b)->flags, 0);
    EXPECT_TRUE(std::equal(body.begin(), body.end(), (*b)->payload.begin(), (*b)->payload.end()));
    auto t = d.next();  // the copying form after views
    ASSERT_TRUE(t.is_ok() && t->has_value());
    EXPECT_TRUE((*t)->has(flags::kTrailer));
    EXPECT_TRUE((*t)->payload.empty());
    auto none = d.next_view();
    ASSERT_TRUE(none.is_ok());
    EXPECT_FALSE(none->has_value());
    EXPECT_FALSE(d.partial());
    if (round == 1) {
      d.feed(std::span<const uint8_t>(wire.data(), 3));  // ends holding a partial prefix
      EXPECT_TRUE(d.partial());
    }
  }
}

// FrameSpanReader reads the frames of a whole stream in place, with FrameReader's end rules.
TEST(WireFrame, SpanReaderEndsAsTheStreamReaderDoes) {
  std::vector<uint8_t> wire;
  const std::vector<uint8_t> body = {9, 8, 7};
  ASSERT_TRUE(append_frame(wire, flags::kHeader, body).is_ok());
  ASSERT_TRUE(append_frame(wire, flags::kTrailer, {}).is_ok());
  FrameSpanReader r(wire);
  auto a = r.next();
  ASSERT_TRUE(a.is_ok() && a->has_value());
  EXPECT_EQ((*a)->copy(), (Frame{flags::kHeader, body}));
  auto t = r.next();
  ASSERT_TRUE(t.is_ok() && t->has_value());
  EXPECT_TRUE((*t)->has(flags::kTrailer) && (*t)->payload.empty());
  auto end = r.next();
  ASSERT_TRUE(end.is_ok());
  EXPECT_FALSE(end->has_value());

  std::vector<uint8_t> cut(wire.begin(), wire.begin() + 6);  // prefix and one body byte of 4
  FrameSpanReader in_body(cut);
  EXPECT_EQ(in_body.next().status().code(), StatusCode::kDataLoss);
  std::vector<uint8_t> in_prefix = {1, 0};
  auto clean = FrameSpanReader(in_prefix).next();
  ASSERT_TRUE(clean.is_ok());
  EXPECT_FALSE(clean->has_value());
  std::vector<uint8_t> zero = {0, 0, 0, 0, 0};
  EXPECT_EQ(FrameSpanReader(zero).next().status().code(), StatusCode::kInvalidArgument);
  std::vector<uint8_t> big = {0xff, 0xff, 0xff, 0x7f, 0};
  EXPECT_EQ(FrameSpanReader(big).next().status().code(), StatusCode::kResourceExhausted);
}

TEST(WireFrame, DecodeVectorsWholeAndByteByByte) {
  auto doc = vectors();
  for (const auto& v : doc["decode_vectors"]) {
    SCOPED_TRACE(v["name"].get<std::string>());
    auto wire = unhex(v["wire_hex"].get<std::string>());
    Frame want{v["expected_flags"].get<uint8_t>(), unhex(v["expected_payload_hex"].get<std::string>())};
    FrameDecoder whole;
    whole.feed(wire);
    auto f = whole.next();
    ASSERT_TRUE(f.is_ok() && f->has_value());
    EXPECT_EQ(**f, want);
    EXPECT_FALSE(whole.partial());

    FrameDecoder bytewise;
    std::optional<Frame> got;
    for (size_t i = 0; i < wire.size(); ++i) {
      EXPECT_FALSE(got.has_value());
      bytewise.feed(std::span<const uint8_t>(&wire[i], 1));
      auto r = bytewise.next();
      ASSERT_TRUE(r.is_ok());
      got = std::move(*r);
    }
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(*got, want);
  }
}

TEST(WireFrame, ErrorVectors) {
  FrameDecoder zero;
  zero.feed(unhex("00000000"));
  auto z = zero.next();
  ASSERT_FALSE(z.is_ok());
  EXPECT_EQ(z.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(z.status().message().find("zero-length frame"), std::string::npos);
  EXPECT_FALSE(zero.next().is_ok());  // stays failed

  auto empty = encode_frame(0, {});
  ASSERT_FALSE(empty.is_ok());
  EXPECT_NE(empty.status().message().find("zero-length payload is not permitted"),
            std::string::npos);
  EXPECT_FALSE(encode_frame(flags::kHeader, {}).is_ok());

  // len = 16 777 217: refused right after the prefix, before any body byte arrives.
  FrameDecoder big;
  big.feed(unhex("01000001"));
  auto b = big.next();
  ASSERT_FALSE(b.is_ok());
  EXPECT_EQ(b.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(b.status().message().find("exceeds maximum"), std::string::npos);
}

TEST(WireFrame, SizeLimitsOnWrite) {
  EXPECT_TRUE(frame_prefix(0, kMaxFrameSize - 1).is_ok());
  auto over = frame_prefix(0, kMaxFrameSize);
  ASSERT_FALSE(over.is_ok());
  EXPECT_EQ(over.status().code(), StatusCode::kResourceExhausted);
  // The exact maximum decodes.
  FrameDecoder d;
  std::vector<uint8_t> frame(5 + kMaxFrameSize - 1, 0x42);
  auto prefix = frame_prefix(0, kMaxFrameSize - 1).value();
  std::copy(prefix.begin(), prefix.end(), frame.begin());
  d.feed(frame);
  auto f = d.next();
  ASSERT_TRUE(f.is_ok() && f->has_value());
  EXPECT_EQ((*f)->payload.size(), kMaxFrameSize - 1);
}

TEST(WireFrame, ReadersAcceptEmptyPayloadWithAnyFlags) {
  for (uint8_t fl : {0x00, 0x04, 0x10, 0x80}) {
    FrameDecoder d;
    std::vector<uint8_t> w = {1, 0, 0, 0, fl};
    d.feed(w);
    auto f = d.next();
    ASSERT_TRUE(f.is_ok() && f->has_value());
    EXPECT_EQ((*f)->flags, fl);
    EXPECT_TRUE((*f)->payload.empty());
  }
}

TEST(WireFrame, ManyFramesAcrossArbitraryChunks) {
  std::mt19937 rng(7);
  std::vector<Frame> sent;
  std::vector<uint8_t> wire;
  for (int i = 0; i < 200; ++i) {
    Frame f{static_cast<uint8_t>(i % 3 == 0 ? flags::kTrailer : 0),
            std::vector<uint8_t>(rng() % 300 + (i % 3 == 0 ? 0 : 1), static_cast<uint8_t>(i))};
    ASSERT_TRUE(append_frame(wire, f.flags, f.payload).is_ok());
    sent.push_back(std::move(f));
  }
  FrameDecoder d;
  std::vector<Frame> got;
  for (size_t pos = 0; pos < wire.size();) {
    size_t n = std::min<size_t>(rng() % 97 + 1, wire.size() - pos);
    d.feed(std::span<const uint8_t>(wire.data() + pos, n));
    pos += n;
    while (true) {
      auto r = d.next();
      ASSERT_TRUE(r.is_ok());
      if (!r->has_value()) break;
      got.push_back(std::move(**r));
    }
  }
  EXPECT_EQ(got, sent);
  EXPECT_FALSE(d.partial());
}

TEST(WireFrame, PartialStateTellsPrefixFromBody) {
  FrameDecoder d;
  std::vector<uint8_t> two = {6, 0};
  d.feed(two);
  EXPECT_TRUE(d.partial());
  EXPECT_FALSE(d.in_body());
  std::vector<uint8_t> rest = {0, 0, 0, 'H'};
  d.feed(rest);
  EXPECT_TRUE(d.in_body());
  EXPECT_EQ(d.body_remaining(), 4u);
}

TEST(WireCompression, RoundTripAndFlag) {
  std::vector<uint8_t> data(100000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i % 251);
  auto packed = zstd_compress(data);
  ASSERT_TRUE(packed.is_ok());
  EXPECT_LT(packed->size(), data.size());
  auto back = zstd_decompress(*packed);
  ASSERT_TRUE(back.is_ok());
  EXPECT_EQ(*back, data);
  auto via_frame = data_payload(Frame{flags::kCompressed, *packed});
  ASSERT_TRUE(via_frame.is_ok());
  EXPECT_EQ(*via_frame, data);
  EXPECT_EQ(data_payload(Frame{0, {1, 2, 3}}).value(), (std::vector<uint8_t>{1, 2, 3}));
  auto empty = zstd_compress({});
  ASSERT_TRUE(empty.is_ok());
  EXPECT_TRUE(zstd_decompress(*empty).value().empty());
}

TEST(WireCompression, BombIsCappedAndCorruptInputIsAnError) {
  // 64 MiB of zeros compresses to a few KiB; decompression must stop at the 16 MiB cap.
  std::vector<uint8_t> zeros(64u << 20, 0);
  auto bomb = zstd_compress(zeros);
  zeros = {};
  ASSERT_TRUE(bomb.is_ok());
  EXPECT_LT(bomb->size(), 1u << 20);
  auto r = zstd_decompress(*bomb);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  auto small = zstd_decompress(*bomb, 1000);
  EXPECT_EQ(small.status().code(), StatusCode::kResourceExhausted);

  std::vector<uint8_t> junk = {1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(zstd_decompress(junk).status().code(), StatusCode::kInvalidArgument);
  std::vector<uint8_t> text(10000, 'a');
  auto ok = zstd_compress(text).value();
  ok.resize(ok.size() / 2);
  EXPECT_FALSE(zstd_decompress(ok).is_ok());
}

TEST(WireFrame, PrepareAndCommitReadStraightIntoTheDecoder) {
  // What FrameReader does: read into prepare()'s room, commit() what arrived.
  std::vector<uint8_t> wire;
  ASSERT_TRUE(append_frame(wire, flags::kHeader, std::vector<uint8_t>{1, 2, 3}).is_ok());
  ASSERT_TRUE(append_frame(wire, 0, std::vector<uint8_t>(5000, 7)).is_ok());
  FrameDecoder d;
  std::vector<Frame> got;
  size_t off = 0;
  for (size_t step : {2u, 900u, 4096u, 4096u}) {
    auto room = d.prepare(step);
    ASSERT_EQ(room.size(), step);
    EXPECT_FALSE(d.next().value().has_value());  // nothing while a read is outstanding
    const size_t k = std::min(step, wire.size() - off);
    std::copy_n(wire.begin() + static_cast<std::ptrdiff_t>(off), k, room.begin());
    off += k;
    d.commit(k);
    while (auto f = d.next().value()) got.push_back(std::move(*f));
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].flags, flags::kHeader);
  EXPECT_EQ(got[0].payload, (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_EQ(got[1].payload, std::vector<uint8_t>(5000, 7));
  EXPECT_EQ(d.buffered(), 0u);
  // A prepare() never committed is forgotten by the next one.
  (void)d.prepare(10);
  (void)d.prepare(3);
  d.commit(0);
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(WireCompression, CompressedFrameInPlaceIsTheSameBytes) {
  // Reused contexts and in-place compression write exactly what a fresh ZSTD_compress and
  // append_frame would, for every payload, again and again.
  std::mt19937 rng(7);
  for (size_t size : {4097u, 100000u, 1u << 20}) {
    std::vector<uint8_t> data(size);
    for (auto& b : data) b = static_cast<uint8_t>(rng() % (size == 100000u ? 4 : 256));
    for (int round = 0; round < 2; ++round) {
      std::vector<uint8_t> in_place{9, 9};  // appended after existing bytes
      ASSERT_TRUE(append_compressed_frame(in_place, flags::kTrailer, data).is_ok());
      std::vector<uint8_t> classic{9, 9};
      ASSERT_TRUE(
          append_frame(classic, flags::kTrailer | flags::kCompressed, zstd_compress(data).value())
              .is_ok());
      EXPECT_EQ(in_place, classic);
      FrameDecoder d;
      d.feed(std::span<const uint8_t>(in_place).subspan(2));
      auto f = d.next().value();
      ASSERT_TRUE(f.has_value());
      EXPECT_EQ(data_payload(std::move(*f)).value(), data);
    }
  }
}

}  // namespace
