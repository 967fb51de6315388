// The C++ face of the iroh bridge on standalone Asio (docs/transport.md; the bridge's C ABI is
// bridge/include/aster_iroh.h).
//
// Runtime owns the bridge runtime and an EventDispatcher that watches the bridge's eventfd
// as an asio::posix::stream_descriptor on an io_context and completes awaiting operations.
// Endpoint, Connection and the stream halves are move-only RAII handles; every operation is an
// asio::awaitable returning Status/Result (no exceptions) and must be started on the thread
// running that io_context. Cancelling the awaiting coroutine cancels the bridge operation.
#pragma once

#include <array>
#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aster/status.hpp"
#include "aster/transport/detail/bridge_handle.hpp"
#include "aster/transport/endpoint_addr.hpp"
#include "aster/transport/stream.hpp"

namespace aster::transport {

enum class RelayMode { kDisabled, kDefault, kStaging, kCustom };

// Gate 0 (iroh 0.97.0 src/endpoint/hooks.rs `after_handshake`): asked after every handshake,
// incoming and outgoing, on every ALPN.
struct GateRequest {
  EndpointId remote_id;
  std::string alpn;
  bool incoming = true;
};
struct GateVerdict {
  bool admitted = true;
  uint64_t code = 0;  // application close code when denied
  std::string reason;
  static GateVerdict admit() { return {}; }
  // 0.1.2 denies with 403 "not admitted".
  static GateVerdict deny(uint64_t code = 403, std::string reason = "not admitted") {
    return {false, code, std::move(reason)};
  }
};
// Runs on the io_context thread; must not block (a verdict not given within the hook timeout
// admits the peer, as 0.1.2 does).
using GateFunction = std::function<GateVerdict(const GateRequest&)>;

struct EndpointConfig {
  std::vector<std::string> alpns;                     // served through Endpoint::accept()
  std::optional<std::array<uint8_t, 32>> secret_key;  // ed25519 seed; generated if absent
  std::string bind_v4;  // "127.0.0.1:0" binds only that socket; empty = iroh's default
  RelayMode relay_mode = RelayMode::kDisabled;
  std::string relay_url;  // for kCustom
  bool portmapper = false;
  // Incoming concurrent bidi streams we allow per connection; 0 = iroh's default (100).
  // Beyond the peer's limit, open_bi() waits for credit instead of failing.
  uint32_t max_bidi_streams = 0;
  // QUIC max idle timeout; 0 = default (30 s). Negotiated (the smaller side wins) and must stay
  // above iroh's 5 s keep-alive. Tests use it to see a dead peer sooner; leave it at 0 when
  // talking to 0.1.2 peers (0.1.2 sets no transport config).
  std::chrono::milliseconds idle_timeout{0};
  // Serve iroh-blobs (in-memory store), iroh-gossip and iroh-docs on this endpoint too, as
  // 0.1.2 nodes do; needed by the calls in aster/transport/content.hpp.
  bool serve_content = false;
  GateFunction gate;  // empty = no gate-0 hook
  std::chrono::milliseconds hook_timeout{5000};
  // Extra CA certificates (each one DER X.509 certificate) trusted for TLS to relays, on top
  // of the embedded web PKI roots: the CA of a self-hosted relay (docs/transport.md, "Relays").
  // The bridge checks each when the endpoint is created (kInvalidArgument naming the bad one).
  std::vector<std::string> relay_ca_roots;
};

// The certificates in a CA file's bytes as DER: PEM text with one or more
// `-----BEGIN CERTIFICATE-----` blocks (other PEM blocks are skipped), or one DER certificate.
// Checks the framing (base64, the outer DER SEQUENCE spanning the bytes); kInvalidArgument
// when there is no certificate. The bridge checks the X.509 contents.
Result<std::vector<std::string>> parse_ca_certificates(std::string_view bytes);
// parse_ca_certificates() of a file (at most 1 MiB); errors name the path.
Result<std::vector<std::string>> read_ca_certificates(const std::string& path);

// Sets relay_mode/relay_url from ASTER_RELAY_MODE: `disabled` (also `off`, `none`), `staging`,
// an http(s) URL (custom relay; our extension, 0.1.2 rejects a URL), anything else or unset →
// default; and adds the certificates of the file ASTER_RELAY_CA names (PEM or DER) to
// relay_ca_roots, to trust a self-hosted TLS relay. Every endpoint the tools, aster::Server and
// aster::Client create goes through this. Fails (kInvalidArgument, message naming
// ASTER_RELAY_CA and the file) when the file cannot be read or holds no certificate.
Status apply_relay_mode_from_env(EndpointConfig& config);

enum class CloseKind { kApplication, kTransport, kReset, kTimedOut, kLocallyClosed, kOther };
struct CloseInfo {
  CloseKind kind = CloseKind::kOther;
  uint64_t code = 0;   // application or transport error code
  std::string reason;  // application close reason bytes, else a message
};

class Endpoint;
class Runtime;
struct ContentAccess;  // src/transport/content.cpp

// The network path a connection sends on: the one iroh selected among its paths (iroh 0.97.0
// src/endpoint/connection.rs `Connection::paths`). A connection usually starts on the relay and
// moves to a direct path once hole punching succeeds (docs/transport.md, "Connection path").
struct ConnectionPath {
  enum class Kind { kNone, kDirect, kRelay };
  Kind kind = Kind::kNone;  // kNone: no path selected (yet)
  SocketAddress address;    // kDirect: the peer's address
  std::string relay_url;    // kRelay: the relay's URL
  std::optional<std::chrono::microseconds> rtt;  // the path's RTT estimate, when known

  // "direct 203.0.113.2:41236", "relay https://192.0.2.2/" or "none" (no RTT).
  std::string to_string() const;
  // to_string() plus " (rtt 0.3 ms)" when the RTT is known.
  std::string describe() const;
  // The same path (kind and address/URL), whatever the RTT.
  bool same_route(const ConnectionPath& other) const;
  friend bool operator==(const ConnectionPath&, const ConnectionPath&) = default;
};
std::string_view to_string(ConnectionPath::Kind kind);  // "none", "direct", "relay"

// One report of a PathWatch: the path, and when the bridge saw it — not when this thread got
// the event, which can be later while the io thread is busy.
struct PathChange {
  ConnectionPath path;
  std::chrono::steady_clock::time_point at;
};

// Changes of a connection's selected path (Connection::watch_path()): the first next() gives
// the path when the watch started, each later one the next different path (a new RTT alone is
// no change; a change while nobody waits is kept, at most 64, oldest first). Once the
// connection has closed, next() fails with its close status (kUnavailable); a next() waiting
// when the watch is closed or destroyed completes once with kCancelled, and next() on a closed
// watch is kFailedPrecondition. Does not keep the connection open. Move-only; io thread only.
class PathWatch {
 public:
  PathWatch() = default;
  PathWatch(PathWatch&&) noexcept;
  PathWatch& operator=(PathWatch&&) noexcept;
  ~PathWatch();  // stops watching

  bool valid() const { return static_cast<bool>(inbox_); }
  asio::awaitable<Result<PathChange>> next();
  void close();

 private:
  friend class Connection;
  PathWatch(std::shared_ptr<detail::Inbox> inbox, std::chrono::steady_clock::time_point started);
  std::shared_ptr<detail::Inbox> inbox_;
  std::chrono::steady_clock::time_point started_;
};

// What Connection::try_open_bi_call opened. Neither member: the peer's stream limit was
// reached and nothing was sent. `answer`: the whole answer, its FIN came with its first bytes
// (a short answer's usually does); the stream is done with and freed without stream objects
// being made for it. `stream`: the answer goes on; its first reads yield the bytes that came.
struct OpenedCall {
  std::optional<Chunk> answer;
  std::optional<BidiStream> stream;
};

class Connection {
 public:
  Connection() = default;
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  ~Connection();  // releases the handle; QUIC closes (code 0) once no stream uses it

  bool valid() const { return static_cast<bool>(handle_); }
  const EndpointId& remote_id() const { return remote_id_; }
  const std::string& alpn() const { return alpn_; }

  asio::awaitable<Result<BidiStream>> open_bi();
  // open_bi(), write `data` and FIN, as one operation (usually without suspending): the
  // whole request of a unary call. Returns the stream for reading the response.
  asio::awaitable<Result<BidiStream>> open_bi_with(std::span<const uint8_t> data);
  // The same, but only while the peer grants stream credit: nullopt at once (nothing sent)
  // when open_bi() would have to wait for it. For requests whose bytes depend on when the
  // stream opens (an RPC header's deadline): the caller waits with open_bi() and rebuilds them.
  asio::awaitable<Result<std::optional<BidiStream>>> try_open_bi_with(
      std::span<const uint8_t> data);
  // try_open_bi_with() that returns once the first bytes of the answer are here: a whole
  // request/response exchange in one bridge operation. Those bytes (at most `reply_max`) are
  // the whole answer when its FIN came with them (OpenedCall::answer), else the stream's first
  // reads yield them; a read that failed meanwhile is reported by the first read after them.
  // Cancelled before the answer (a deadline), the send half is reset and the recv half stopped
  // with `cancel_code`. The whole request is written before the answer is awaited, so the peer
  // must be able to take it without this side reading (a producer reads the request, then
  // answers; an echo that answers as it reads a request larger than the receive window would
  // block both ends). In the two-thread shapes an open's completion and the read submitted
  // after it each woke the other thread; this is one hand-over each way (docs/transport.md
  // "A call in one operation").
  asio::awaitable<Result<OpenedCall>> try_open_bi_call(std::span<const uint8_t> data,
                                                       size_t reply_max, uint64_t cancel_code);
  // try_open_bi_call() for a caller that wants the whole answer and nothing else: the answer
  // up to its FIN as one Chunk (fin() set; kResourceExhausted past `answer_limit` bytes), or
  // nullopt, nothing sent, without stream credit. An answer that came whole with the open (a
  // short one usually does) is the Chunk the open brought, zero-copy; a longer one is read to
  // its end (docs/transport.md "A whole exchange").
  asio::awaitable<Result<std::optional<Chunk>>> try_call(std::span<const uint8_t> request,
                                                         size_t answer_limit,
                                                         uint64_t cancel_code);
  // The next stream the peer opened. Incoming streams are accepted continuously in the
  // background, at most kAcceptWindow (64) ahead of the callers of accept_bi()
  // (back-pressure: beyond that, noq keeps them, bounded by EndpointConfig::max_bidi_streams).
  asio::awaitable<Result<BidiStream>> accept_bi();
  // accept_bi() without waiting: a stream accepted in the background and not yet taken, or the
  // status that ended accepting; nullopt when there is neither (then accept_bi() waits). For
  // loops that serve one stream after another (aster::Server's call loops): with many calls in
  // flight the next stream is usually here already, and taking it costs no suspension and no
  // trip through the io_context (accept_bi() completes through it when it cannot wait).
  std::optional<Result<BidiStream>> accept_bi_now();
  // Streams accepted in the background and not yet taken by accept_bi(): at most
  // kAcceptWindow (for tests and metrics).
  static constexpr size_t kAcceptWindow = 64;
  // Bytes of an incoming stream read as it is accepted, handed to its first reads
  // (aster_iroh_accept_bi_each_read): a request that fits needs no read operation. At most
  // kAcceptWindow × this per connection is held outside noq's flow control.
  static constexpr size_t kAcceptFirstBytes = 16 * 1024;
  size_t queued_incoming() const;
  // Application close (e.g. 0 "normal close"). Sync.
  Status close(uint64_t code, std::string_view reason);
  // Completes once the connection is closed, saying by whom and why.
  asio::awaitable<CloseInfo> closed();
  // The path the connection sends on now (sync). kNone for a moment right after connect.
  Result<ConnectionPath> path() const;
  // Starts watching the selected path (see PathWatch).
  PathWatch watch_path() const;

 private:
  friend struct detail::HandleAccess;
  Connection(detail::BridgeHandle handle, EndpointId remote_id, std::string alpn);
  BidiStream bidi(uint64_t send, uint64_t recv) const;
  // try_open_bi_call's outcome from its event, for a connection of runtime `core` (shared with
  // try_call, which opens the same way, and with the wait that completes try_open_bi_call).
  static Result<OpenedCall> opened_call(const std::shared_ptr<detail::RuntimeCore>& core,
                                        Result<detail::BridgeEvent> got);
  // The answer of an OPEN_BI event that came whole (OK, ASTER_IROH_ACCEPT_FIN) as a Chunk.
  static Chunk whole_answer(std::shared_ptr<detail::RuntimeCore> core,
                            const detail::BridgeEvent& ev);
  // accept_bi's stream from its ACCEPT_BI event (OK), for a connection of runtime `core`.
  static Result<BidiStream> accepted_bi(const std::shared_ptr<detail::RuntimeCore>& core,
                                        detail::BridgeEvent ev);
  // The continuous accept behind accept_bi, started by its first call.
  detail::Inbox& incoming();
  void stop_accepting();

  detail::BridgeHandle handle_;
  EndpointId remote_id_;
  std::string alpn_;
  std::shared_ptr<detail::Inbox> incoming_;
};

class Endpoint {
 public:
  Endpoint() = default;
  Endpoint(Endpoint&& other) noexcept;
  Endpoint& operator=(Endpoint&& other) noexcept;
  ~Endpoint();  // releases the handle (the bridge closes the endpoint in the background)

  bool valid() const { return static_cast<bool>(handle_); }
  Result<EndpointId> id() const;
  // Where a peer dials us (id, relay URL, direct addresses), read from the bridge as bytes.
  // Print it with to_node_addr_text()/to_node_addr_b64() or make an AsterTicket.
  Result<EndpointAddr> address() const;
  Result<std::array<uint8_t, 32>> secret_key() const;

  // Dials `peer` on `alpn`. A peer's gate-0 denial shows up as kUnavailable with message
  // "CONN_APP_CLOSED(403): not admitted", here or on the first stream operation;
  // Connection::closed() gives the structured reason.
  asio::awaitable<Result<Connection>> connect(
      EndpointAddr peer, std::string alpn,
      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Next incoming connection on any served ALPN (accepted continuously in the background,
  // at most 64 ahead of the callers).
  asio::awaitable<Result<Connection>> accept();
  // Graceful close: waits for peers to acknowledge (≈3 s at most).
  asio::awaitable<Status> close();

 private:
  friend class Runtime;
  friend struct ContentAccess;
  explicit Endpoint(detail::BridgeHandle handle);
  void stop_accepting();

  detail::BridgeHandle handle_;
  std::shared_ptr<detail::Inbox> incoming_;
};

// Owns the bridge runtime (its tokio threads) and the event dispatcher on `io`.
class Runtime {
 public:
  // How the bridge runs iroh (docs/transport.md "Thread shape" has the measurements).
  enum class Shape {
    // The default: tokio current_thread and Asio on one thread. run() (or drive(), or a loop
    // that alternates io_context::poll() and turn()) runs the io_context inside the bridge
    // runtime; io_context::run() alone would never run the bridge (create_endpoint fails).
    // While the loop sleeps in the bridge, Asio's own timers, sockets and signals wake it (it
    // watches Asio's reactor); work posted from another thread must call wake().
    kSharedThread,
    // One tokio current_thread runtime on a bridge thread of its own, next to the thread that
    // runs the io_context (io_context::run() works): two threads, for a process whose Asio
    // side has work enough to keep a core of its own busy.
    kCurrentThread,
    kMultiThread,  // a tokio multi-thread runtime with `worker_threads` workers
  };
  struct Options {
    Shape shape = Shape::kSharedThread;
    uint32_t worker_threads = 2;  // kMultiThread only
    // kCurrentThread and kMultiThread: while the bridge's threads are busy, stream operations
    // queue for them in call order and go over in batches, instead of each running on the io
    // thread and waking the connection's driver (docs/transport.md "Deferred submission").
    bool defer_stream_ops = true;
    // kCurrentThread and kMultiThread, with defer_stream_ops: while the io thread dispatches a
    // batch of completions, the operations it submits queue without waking the bridge's thread
    // until the batch and what it posted have run (or 16 are queued), so they go over and
    // out on the network together (docs/transport.md "Holding the wake-up for a batch").
    bool hold_batches = true;
    // kCurrentThread: after the last completion both threads keep polling (the bridge's
    // thread the network and the deferred queue, the io thread the completion queue) this
    // long before they sleep, while at most 16 operations are pending and no other runtime of
    // the process spins. A request answered within it crosses between the threads without
    // waking a sleeping thread (docs/transport.md "Spinning"). Zero (the default) never
    // spins: with two spinning processes on two cores each starves the other.
    std::chrono::microseconds spin{0};
    // kSharedThread, while the runtime has a connection to a peer that is not one of its own
    // endpoints: at most this many completions per drive() round; 0 takes every queued one
    // and what their handlers queue meanwhile. The bridge sends what a round wrote only after
    // the round, so a round that answers every queued request keeps the peer waiting for the
    // first answer until the last is written: two processes in this shape took turns (unary
    // calls at 64 in flight: 139–148k calls/s with 0, 268–298k with 32). A peer that is an
    // endpoint of this runtime runs in the same rounds and cannot start early; capped rounds
    // cost both ends in one runtime 4–9% (docs/transport.md "Drive rounds of at most 32
    // completions").
    size_t drive_batch = 32;
    // Caps rounds even while every peer is an endpoint of this runtime (tests, A/B runs).
    bool drive_batch_always = false;
  };
  static Result<Runtime> create(asio::io_context& io, Options options);
  static Result<Runtime> create(asio::io_context& io) { return create(io, Options{}); }

  Runtime(Runtime&&) noexcept;
  Runtime& operator=(Runtime&&) noexcept;
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
  ~Runtime();  // shutdown(3 s) if not done; call on the io thread or with io stopped

  asio::awaitable<Result<Endpoint>> create_endpoint(EndpointConfig config);

  // Runs the io_context this runtime was created on, on the calling thread, until it is
  // stopped (io_context::stop()), in the runtime's shape: kSharedThread through drive() (the
  // io_context counts as having work meanwhile), the others through io_context::run().
  // Exceptions from handlers propagate, as from io_context::run().
  Status run();

  // kSharedThread: runs the bridge's ready tasks and network once, then waits up to `wait`
  // for more. Call it from the io thread between io_context::poll() calls.
  static constexpr std::chrono::microseconds kTurnWait{1000};
  Status turn(std::chrono::microseconds wait);
  // kSharedThread: runs the caller's loop inside the bridge runtime until `step` returns < 0
  // or shutdown() is called. Each round posts the bridge's completions to the io_context and
  // calls `step`, which must run it (io_context::poll(); it returns how much work it did):
  // while there was work the bridge runs its ready tasks and network without waiting, when
  // idle it sleeps until a completion, the network, Asio's reactor (the io_context's timers,
  // sockets and signals: the drive watches its epoll descriptor) or wake() needs it, at most
  // 50 ms (the lateness of a post from another thread without wake()); only where Asio's
  // reactor cannot be watched (another Asio version) at most `idle_wait`, so that its timers
  // and sockets are polled that often. Bridge calls made from inside wake its tasks on the
  // same thread, no eventfd write (docs/transport.md "Thread shape"). An exception thrown by
  // `step` ends the drive and is rethrown here. A shutdown() requested inside runs when the
  // drive returns.
  Status drive(const std::function<long()>& step,
               std::chrono::microseconds idle_wait = kTurnWait);
  // kSharedThread, any thread: ends the loop's current idle wait in the bridge, so work just
  // posted to the io_context from another thread runs now (the drive cannot see such posts:
  // Asio interrupts only a thread that waits inside its own reactor).
  void wake();
  Shape shape() const { return shape_; }
  // kSharedThread, any thread: whether drive() rounds are capped at Options::drive_batch now,
  // i.e. the runtime has a connection to a peer that is not one of its own endpoints (or
  // Options::drive_batch_always is set).
  bool rounds_capped() const;

  // Completes every pending operation with kCancelled, closes all endpoints (bounded by
  // `timeout`) and stops the bridge; handles still alive become inert. Blocks; call it on the
  // io thread (or with the io_context stopped).
  void shutdown(std::chrono::milliseconds timeout = std::chrono::seconds(3));

 private:
  Runtime(std::shared_ptr<detail::RuntimeCore> core, Shape shape);
  std::shared_ptr<detail::RuntimeCore> core_;
  Shape shape_ = Shape::kSharedThread;
};

}  // namespace aster::transport
