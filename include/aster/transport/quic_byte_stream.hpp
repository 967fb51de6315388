// transport::ByteStream over a QUIC bidi stream (stream.hpp), through its public
// SendStream/RecvStream operations only. Owns the stream: destroying it drops both halves with
// their documented effects (unfinished send side reset, unread receive side stopped).
#pragma once

#include <memory>

#include "aster/transport/byte_stream.hpp"
#include "aster/transport/stream.hpp"

namespace aster::transport {

std::unique_ptr<ByteStream> make_quic_byte_stream(BidiStream stream);

}  // namespace aster::transport
