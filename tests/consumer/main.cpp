// A program that uses Aster C++ the way a user's project does: built against an install
// prefix (find_package / pkg-config) or with add_subdirectory (tests/consumer/check.sh).
// It does a Fory round trip and a transport echo over a custom ALPN on loopback.
#include <aster/codec/fory.hpp>
#include <aster/transport/blocking.hpp>

#include <asio/experimental/awaitable_operators.hpp>

#include <cstdio>
#include <string>

namespace demo {
struct Note {
  std::string text;
  int64_t stars = 0;
};
ASTER_MESSAGE(Note, "demo/Note", ASTER_FIELD(text), ASTER_FIELD(stars))
}  // namespace demo

namespace {

constexpr const char* kAlpn = "demo/echo/1";

bool fory_round_trip() {
  auto bytes = aster::codec::fory_encode(demo::Note{"hello", 5});
  if (!bytes) return false;
  auto back = aster::codec::fory_decode<demo::Note>(*bytes);
  return back && back->text == "hello" && back->stars == 5;
}

// The server side: one connection, one stream, echo it back. It keeps the connection until
// the client closes it, so the reply is never cut off by our own close.
asio::awaitable<aster::Status> serve_one(aster::transport::Endpoint& server) {
  using namespace aster::transport;
  ASTER_CO_ASSIGN_OR_RETURN(Connection conn, co_await server.accept());
  ASTER_CO_ASSIGN_OR_RETURN(BidiStream s, co_await conn.accept_bi());
  ASTER_CO_ASSIGN_OR_RETURN(auto request, co_await s.recv.read_to_end(1024));
  ASTER_CO_RETURN_IF_ERROR(co_await s.send.write(request));
  ASTER_CO_RETURN_IF_ERROR(s.send.finish());
  co_await conn.closed();
  co_return aster::Status::ok();
}

asio::awaitable<aster::Result<std::string>> call_once(aster::transport::Endpoint& client,
                                                      aster::transport::EndpointAddr server) {
  using namespace aster::transport;
  ASTER_CO_ASSIGN_OR_RETURN(Connection conn, co_await client.connect(std::move(server), kAlpn));
  ASTER_CO_ASSIGN_OR_RETURN(BidiStream s, co_await conn.open_bi());
  const std::string ping = "ping";
  ASTER_CO_RETURN_IF_ERROR(
      co_await s.send.write({reinterpret_cast<const uint8_t*>(ping.data()), ping.size()}));
  ASTER_CO_RETURN_IF_ERROR(s.send.finish());
  ASTER_CO_ASSIGN_OR_RETURN(auto reply, co_await s.recv.read_to_end(1024));
  ASTER_CO_RETURN_IF_ERROR(conn.close(0, "done"));
  co_return std::string(reply.begin(), reply.end());
}

asio::awaitable<aster::Result<std::string>> echo_once(aster::transport::Runtime& rt) {
  using namespace aster::transport;
  using namespace asio::experimental::awaitable_operators;
  EndpointConfig server_cfg;
  server_cfg.alpns = {kAlpn};
  server_cfg.bind_v4 = "127.0.0.1:0";
  ASTER_CO_ASSIGN_OR_RETURN(Endpoint server, co_await rt.create_endpoint(std::move(server_cfg)));
  EndpointConfig client_cfg;
  client_cfg.bind_v4 = "127.0.0.1:0";
  ASTER_CO_ASSIGN_OR_RETURN(Endpoint client, co_await rt.create_endpoint(std::move(client_cfg)));
  ASTER_CO_ASSIGN_OR_RETURN(EndpointAddr server_addr, server.address());
  // Both sides at once; both endpoints outlive both coroutines.
  auto [served, reply] = co_await (serve_one(server) && call_once(client, server_addr));
  ASTER_CO_RETURN_IF_ERROR(served);
  co_return reply;
}

}  // namespace

int main() {
  if (!fory_round_trip()) {
    std::fprintf(stderr, "fory round trip failed\n");
    return 1;
  }
  auto runtime = aster::transport::BlockingRuntime::create();
  if (!runtime) {
    std::fprintf(stderr, "%s\n", runtime.status().to_string().c_str());
    return 1;
  }
  auto reply = (*runtime)->run(echo_once((*runtime)->runtime()));
  if (!reply || *reply != "ping") {
    std::fprintf(stderr, "echo failed: %s\n", reply.status().to_string().c_str());
    return 1;
  }
  std::printf("consumer ok: fory round trip, transport echo \"%s\"\n", reply->c_str());
  return 0;
}
