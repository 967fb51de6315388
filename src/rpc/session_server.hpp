// The producer side of one session stream (internal to aster_rpc; the Dispatcher routes a
// StreamHeader with method "" here).
#pragma once

#include <asio/awaitable.hpp>
#include <string>

#include "aster/rpc/dispatcher.hpp"
#include "aster/rpc/session_impl.hpp"
#include "aster/transport/byte_stream.hpp"
#include "aster/wire/frame_io.hpp"
#include "aster/wire/messages.hpp"

namespace aster::rpc {

// Serves the CALL frames that follow `header` on `stream` until the consumer finishes it or a
// session-ending error, then finishes our side. `reader` is the one that read the header (it
// may hold bytes beyond it). Each call's attributes come from `dispatcher.attributes_of`.
asio::awaitable<void> serve_session(const SessionServiceImpl& service,
                                    transport::ByteStream& stream, wire::FrameReader& reader,
                                    const wire::StreamHeader& header, std::string peer,
                                    const Dispatcher& dispatcher);

}  // namespace aster::rpc
