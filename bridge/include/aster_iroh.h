/* aster_iroh.h — C ABI of the aster_iroh bridge crate (bridge/src/lib.rs).
 * Kept by hand; Rust pins the struct layouts with const asserts (bridge/src/abi.rs) and
 * tests/unit/bridge/abi_layout.c compiles this header as C and checks the same numbers.
 * Every symbol is prefixed aster_iroh_. No Rust allocation is ever freed by the caller.
 *
 * Model (docs/transport.md "Layers"; the completion queue keeps the shape of aster-rpc 0.1.2's
 * own C ABI, aster-rpc@0972ac9:ffi/iroh_ffi.h, without its leaks and double events):
 *  - Objects are opaque generational uint64_t handles (0 = none). A stale or doubly freed
 *    handle yields ASTER_IROH_NOT_FOUND, never a crash. Freeing a handle while an operation
 *    runs on it is safe.
 *  - Every asynchronous call returns at once (the submit status) and writes an op id; later
 *    exactly ONE terminal event with the caller's user_data appears on the completion queue.
 *    Submit statuses other than ASTER_IROH_OK mean no event will follow.
 *  - Inline completion: calls taking `aster_iroh_event *now` first try to finish right away
 *    (noq takes a write into its buffer, hands out buffered bytes, opens a stream within
 *    credit without waiting). Then they write the outcome to *now, return ASTER_IROH_DONE and
 *    no event follows (now->op = 0; a payload in *now is a lease like any other). With
 *    now == NULL the outcome is always an event.
 *  - Continuous accept (*_each): one OK event per accepted object, then one terminal event
 *    with a non-OK status (CANCELLED, or why it ended). At most `window` deliveries are made
 *    beyond those given back with aster_iroh_grant (back-pressure).
 *  - The queue is drained with aster_iroh_poll(); the eventfd from
 *    aster_iroh_runtime_event_fd() becomes readable when events are waiting. A poll() that
 *    finds the queue empty (returns 0) clears it, so: wait readable, poll until 0, wait again.
 *  - Event payloads (data/len) are leases valid until aster_iroh_lease_release(lease);
 *    every event with lease != 0 must be released. Inputs are borrowed for the call only
 *    (outbound bytes are copied).
 *  - All functions are thread-safe; one caller thread keeps per-stream ordering trivial. */
#ifndef ASTER_IROH_H
#define ASTER_IROH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of this ABI; a mismatch with ASTER_IROH_ABI_VERSION means a stale library. */
#define ASTER_IROH_ABI_VERSION 15u
uint32_t aster_iroh_abi_version(void);

/* BLAKE3-256 of data[0..len) into out[32]. Returns 0, -1 on a null argument.
 * Defined by the hash-only product (bridge/src/blake3_only.rs, CMake aster::blake3). */
int32_t aster_iroh_blake3(const uint8_t *data, size_t len, uint8_t *out);

/* ---- status codes (CONN_* mirror noq-proto 0.16.0 src/connection/mod.rs ConnectionError).
 * 0/1 are outcomes; failures start at 1000. ---- */
enum aster_iroh_status {
  ASTER_IROH_OK = 0,
  ASTER_IROH_FIN = 1,                  /* read reached the end of the stream */
  ASTER_IROH_DONE = 2,                 /* submit status: completed inline, outcome in *now */
  ASTER_IROH_PROGRESS = 3,             /* non-terminal event of an op that reports progress */
  ASTER_IROH_INVALID_ARG = 1001,
  ASTER_IROH_NOT_FOUND = 1002,         /* stale/freed handle, finished op, answered hook */
  ASTER_IROH_BUSY = 1003,              /* a read (write) is already pending on the stream */
  ASTER_IROH_BUFFER_TOO_SMALL = 1004,
  ASTER_IROH_CANCELLED = 1005,
  ASTER_IROH_TIMEOUT = 1006,
  ASTER_IROH_STREAM_RESET = 1007,      /* code = peer's reset code */
  ASTER_IROH_STREAM_STOPPED = 1008,    /* code = peer's STOP_SENDING code */
  ASTER_IROH_FINISHED_EARLY = 1009,    /* reserved for read_exact */
  ASTER_IROH_CONN_APP_CLOSED = 1010,   /* code = application code, payload = reason bytes */
  ASTER_IROH_CONN_TRANSPORT_CLOSED = 1011,
  ASTER_IROH_CONN_RESET = 1012,
  ASTER_IROH_CONN_TIMED_OUT = 1013,
  ASTER_IROH_CONN_LOCALLY_CLOSED = 1014,
  ASTER_IROH_REJECTED_LOCALLY = 1015,  /* our own gate-0 hook rejected an outgoing connection */
  ASTER_IROH_CONNECT_FAILED = 1016,
  ASTER_IROH_PARSE = 1017,
  ASTER_IROH_STORE = 1018,             /* reserved for blobs/docs */
  ASTER_IROH_INTERNAL = 1019,
  ASTER_IROH_PANIC = 1020,             /* a Rust panic was caught at the boundary */
  ASTER_IROH_TOO_LONG = 1021           /* read to end: more than `max` bytes */
};
/* Static NUL-terminated name ("CONN_APP_CLOSED"); "UNKNOWN" for other values. */
const char *aster_iroh_status_name(int32_t status);

/* ---- event kinds ---- */
enum aster_iroh_event_kind {
  ASTER_IROH_EV_ENDPOINT_CREATE = 1, /* h1 = endpoint */
  ASTER_IROH_EV_ENDPOINT_CLOSE = 2,
  ASTER_IROH_EV_CONNECT = 3,         /* h1 = conn; payload = remote id[32] + ALPN */
  ASTER_IROH_EV_ACCEPT = 4,          /* h1 = conn; payload = remote id[32] + ALPN */
  ASTER_IROH_EV_CONN_CLOSED = 5,     /* status/code/payload say why */
  ASTER_IROH_EV_OPEN_BI = 6,         /* h1 = send half, h2 = recv half */
  ASTER_IROH_EV_ACCEPT_BI = 7,       /* h1 = send half, h2 = recv half */
  ASTER_IROH_EV_READ = 8,            /* OK + payload, or FIN (+ whole payload: read to end) */
  ASTER_IROH_EV_WRITE = 9,
  ASTER_IROH_EV_STOPPED = 10,        /* OK (all acked) or STREAM_STOPPED + code */
  ASTER_IROH_EV_BLOB_ADD = 20,        /* payload = hash[32] (blob, or collection root) */
  ASTER_IROH_EV_BLOB_READ = 21,       /* payload = the blob's bytes */
  ASTER_IROH_EV_BLOB_DOWNLOAD = 22,
  ASTER_IROH_EV_COLLECTION_LIST = 23, /* payload = packed entries (aster_iroh_collection_list) */
  ASTER_IROH_EV_DOC_CREATE = 24,      /* h1 = doc; payload = namespace id[32] */
  ASTER_IROH_EV_AUTHOR_CREATE = 25,   /* payload = author id[32] */
  ASTER_IROH_EV_DOC_SET = 26,         /* payload = content hash[32] */
  ASTER_IROH_EV_DOC_OPEN_SYNC = 27,
  ASTER_IROH_EV_DOC_JOIN = 28,        /* h1 = doc; code = ASTER_IROH_JOIN_* flags */
  ASTER_IROH_EV_DOC_QUERY = 29,       /* payload = packed entries (see aster_iroh_doc_query) */
  ASTER_IROH_EV_BLOB_REMOTE_SIZE = 30, /* code = the blob's size at the peer */
  ASTER_IROH_EV_PATH = 31,            /* code = ASTER_IROH_PATH_*; see aster_iroh_conn_path_watch */
  ASTER_IROH_EV_DEBUG = 99,
  /* Pushed without a request (op = 0): gate-0 after_handshake asks for a verdict.
   * h1 = endpoint, h2 = invocation (answer with aster_iroh_hook_respond),
   * code = ASTER_IROH_HOOK_INCOMING/OUTGOING, payload = remote id[32] + ALPN. */
  ASTER_IROH_EV_HOOK = 100
};
#define ASTER_IROH_HOOK_INCOMING 0u
#define ASTER_IROH_HOOK_OUTGOING 1u

typedef uint64_t aster_iroh_handle;
typedef uint64_t aster_iroh_op;
typedef struct aster_iroh_rt aster_iroh_rt;

typedef struct aster_iroh_bytes {
  const uint8_t *ptr;
  size_t len;
} aster_iroh_bytes;

/* One terminal event (or a HOOK request). Non-OK statuses other than the ones documented
 * per kind carry a UTF-8 message as payload. */
typedef struct aster_iroh_event {
  uint32_t kind;             /* enum aster_iroh_event_kind */
  int32_t status;            /* enum aster_iroh_status */
  aster_iroh_op op;          /* 0 only for HOOK */
  uint64_t user_data;        /* echoed, including on CANCELLED */
  aster_iroh_handle h1, h2;  /* created/affected handles */
  uint64_t code;             /* QUIC application code, close code, hook side */
  const uint8_t *data;       /* payload, valid until aster_iroh_lease_release(lease) */
  size_t len;
  uint64_t lease;            /* 0 = no payload */
} aster_iroh_event;

/* ---- runtime ---- */
#define ASTER_IROH_RT_MULTI_THREAD 0u   /* tokio multi-thread runtime, worker_threads workers */
#define ASTER_IROH_RT_CURRENT_THREAD 1u /* tokio current_thread runtime on one bridge thread */
#define ASTER_IROH_RT_CALLER_DRIVEN 2u  /* current_thread runtime run by aster_iroh_runtime_turn */
/* flags: stream calls (not RECV_NOWAIT reads, large writes, or a read or write that follows
 * another on its half), grant, conn_close, the frees and every asynchronous operation queue and
 * run on the runtime in call order, in batches: no DONE, the event follows (docs/transport.md
 * "Deferred submission"). Ignored when caller-driven. */
#define ASTER_IROH_RT_DEFER_STREAM_OPS 1u
typedef struct aster_iroh_runtime_cfg {
  uint32_t struct_size;    /* sizeof(aster_iroh_runtime_cfg) */
  uint32_t worker_threads; /* tokio workers (multi-thread); 0 = 2 */
  uint32_t flavor;         /* ASTER_IROH_RT_* */
  uint32_t flags;          /* ASTER_IROH_RT_DEFER_STREAM_OPS */
  /* current_thread: after its last completion the runtime's thread keeps polling the network
   * (without blocking) and the deferred queue this long, while at most 16 operations are
   * pending, instead of sleeping (docs/transport.md "Spinning"). 0 = never. Added after ABI
   * 8's first release: a cfg of 16 bytes (without it) is accepted and means 0. */
  uint32_t spin_us;
} aster_iroh_runtime_cfg;

/* cfg may be NULL (defaults). Every thread that runs bridge tasks blocks SIGPIPE, so a write
 * to a reset TCP socket (a relay that dies) fails with EPIPE instead of ending the process;
 * caller-driven, that is the caller's thread, from its first turn/drive on (src/sigpipe.rs). */
int32_t aster_iroh_runtime_new(const aster_iroh_runtime_cfg *cfg, aster_iroh_rt **out);
/* Closes every endpoint (bounded by timeout_ms), drops all handles, pending operations (they
 * produce no events) and leases, stops the runtime and frees rt. Blocks; never call it from a
 * bridge thread. Stop watching the event fd first: it is closed here. */
int32_t aster_iroh_runtime_shutdown(aster_iroh_rt *rt, uint32_t timeout_ms);
/* ASTER_IROH_RT_CALLER_DRIVEN only: runs ready bridge tasks and polls the network once, then
 * waits up to timeout_us for more, returning early once an event is queued. One thread only
 * (the caller's event loop), never from inside another aster_iroh call. The event fd is not
 * signalled in this flavour: poll the queue after every turn. */
int32_t aster_iroh_runtime_turn(aster_iroh_rt *rt, uint32_t timeout_us);
/* ASTER_IROH_RT_CALLER_DRIVEN only: runs the caller's event loop inside the bridge runtime
 * until step returns < 0. Each round calls step(ctx) (the caller drains the queue and runs its
 * ready work there); step > 0 means work was done: the bridge runs its ready tasks and polls
 * the network without waiting, then calls step again; 0 means idle: it waits until an event is
 * queued, at most idle_wait_us. Because step runs on the runtime's own thread inside it, the
 * aster_iroh calls it makes wake bridge tasks locally, without an eventfd write per wake-up.
 * step must not unwind, and must not call aster_iroh_runtime_turn/_drive/_shutdown. */
typedef int64_t (*aster_iroh_step_fn)(void *ctx);
/* ASTER_IROH_RT_CALLER_DRIVEN only, any thread: ends the current (or next) idle wait of
 * aster_iroh_runtime_turn/_drive now, so work the caller queued for its loop from another
 * thread runs at once instead of after idle_wait_us. */
int32_t aster_iroh_runtime_wake(aster_iroh_rt *rt);
int32_t aster_iroh_runtime_drive(aster_iroh_rt *rt, aster_iroh_step_fn step, void *ctx,
                                 uint32_t idle_wait_us);
/* ABI 12, ASTER_IROH_RT_CALLER_DRIVEN only, from inside a drive's step (its thread): from the
 * drive's next idle wait on, fd becoming readable ends the wait as well, and a wait lasts at
 * most idle_wait_us (instead of the drive's own bound; a descriptor the runtime's reactor
 * refuses keeps the drive's own bound); fd < 0 stops watching. The descriptor
 * stays the caller's and must stay open while watched or until the drive returns. Meant for
 * the caller's own event loop (the epoll descriptor of its reactor), so that its timers and
 * sockets end the wait rather than a periodic tick. */
int32_t aster_iroh_runtime_drive_watch(aster_iroh_rt *rt, int32_t fd, uint32_t idle_wait_us);
/* Io thread, while it dispatches a batch of events: on != 0 queues the calling thread's stream
 * operations without waking the runtime (until 16 are queued); 0 wakes it for what was queued.
 * Other threads' operations are not held. */
int32_t aster_iroh_runtime_hold(aster_iroh_rt *rt, int32_t on);
/* Non-blocking eventfd owned by rt; readable while events wait. Do not close it. */
int32_t aster_iroh_runtime_event_fd(aster_iroh_rt *rt);
/* Moves up to max events into out; never blocks. Returns the count. */
size_t aster_iroh_poll(aster_iroh_rt *rt, aster_iroh_event *out, size_t max);
int32_t aster_iroh_lease_release(aster_iroh_rt *rt, uint64_t lease);
/* Pending op → OK and its single terminal event is CANCELLED (emitted now).
 * Already completed/cancelled → NOT_FOUND. A cancelled read loses no data; a cancelled write
 * may have sent a prefix (reset the stream). */
int32_t aster_iroh_cancel(aster_iroh_rt *rt, aster_iroh_op op);
/* Diagnostics: an op completing OK at once, or (panic != 0) whose future panics: PANIC event. */
int32_t aster_iroh_debug_op(aster_iroh_rt *rt, uint32_t panic, uint64_t user_data,
                            aster_iroh_op *out_op);

/* ---- endpoint ---- */
#define ASTER_IROH_EP_SECRET_KEY 1u /* use cfg.secret_key instead of generating one */
#define ASTER_IROH_EP_GATE 2u       /* install the gate-0 hook (HOOK events) */
#define ASTER_IROH_EP_PORTMAPPER 4u /* UPnP/NAT-PMP/PCP; off unless set */
/* Serve iroh-blobs (in-memory store, ALPN /iroh-bytes/4), iroh-gossip (/iroh-gossip/1) and
 * iroh-docs (in memory, /iroh-sync/1) on the same endpoint, as 0.1.2 nodes do
 * (aster-rpc@0972ac9:core/src/lib.rs CoreNode::finalize). Needed by the blob and doc calls. */
#define ASTER_IROH_EP_CONTENT 8u

enum aster_iroh_relay_mode {
  ASTER_IROH_RELAY_DISABLED = 0,
  ASTER_IROH_RELAY_DEFAULT = 1, /* n0 production relays (internet) */
  ASTER_IROH_RELAY_STAGING = 2,
  ASTER_IROH_RELAY_CUSTOM = 3   /* relay_url */
};

typedef struct aster_iroh_endpoint_cfg {
  uint32_t struct_size;       /* sizeof(aster_iroh_endpoint_cfg) */
  uint32_t flags;             /* ASTER_IROH_EP_* */
  uint8_t secret_key[32];     /* ed25519 seed, used with ASTER_IROH_EP_SECRET_KEY */
  uint32_t relay_mode;        /* enum aster_iroh_relay_mode */
  uint32_t max_bidi_streams;  /* incoming concurrent bidi streams; 0 = iroh default (100) */
  uint32_t hook_timeout_ms;   /* gate-0 verdict timeout, then ACCEPT (0.1.2); 0 = 5000 */
  uint32_t idle_timeout_ms;   /* QUIC max idle timeout; 0 = default (30 s). Tests only: keep it
                                 above iroh's 5 s keep-alive, and it is negotiated (min) */
  const char *bind_v4;        /* "127.0.0.1:0": only this IPv4 socket; NULL = iroh default */
  const char *relay_url;      /* for ASTER_IROH_RELAY_CUSTOM */
  const aster_iroh_bytes *alpns; /* ALPNs served through accept_next */
  size_t alpns_len;
  /* ABI 6 (read only when struct_size covers them; ABI 5's 88-byte struct is still accepted):
   * extra CA certificates trusted for TLS to relays (and iroh's other non-iroh TLS), on top of
   * the embedded web PKI roots, e.g. the CA of a self-hosted relay. Each entry is one DER
   * X.509 certificate; one that cannot serve as a trust anchor fails ENDPOINT_CREATE with
   * INVALID_ARG and a message naming it ("relay CA root #2: ..."). */
  const aster_iroh_bytes *relay_ca_roots;
  size_t relay_ca_roots_len;
} aster_iroh_endpoint_cfg;

/* Binds (empty builder: no address lookup, no n0 DNS/pkarr, never awaits online()).
 * Event ENDPOINT_CREATE, h1 = endpoint. */
int32_t aster_iroh_endpoint_create(aster_iroh_rt *rt, const aster_iroh_endpoint_cfg *cfg,
                                   uint64_t user_data, aster_iroh_op *out_op);
/* Endpoint id (32-byte ed25519 public key) into out[32]. */
int32_t aster_iroh_endpoint_id(aster_iroh_rt *rt, aster_iroh_handle ep, uint8_t *out);
/* 32-byte secret key seed into out[32]. */
int32_t aster_iroh_endpoint_secret(aster_iroh_rt *rt, aster_iroh_handle ep, uint8_t *out);
/* A UDP socket address as bytes: family 4 (ip[0..4]) or 6 (ip[0..16]), port in host order. */
typedef struct aster_iroh_sockaddr {
  uint8_t ip[16];
  uint16_t port;
  uint8_t family;
  uint8_t reserved;
} aster_iroh_sockaddr;

/* Where the endpoint can be dialled, as bytes. The caller provides the buffers; the call
 * writes id, relay_len (URL text, not NUL-terminated, 0 = none) and addrs_len (direct
 * addresses, the bound sockets when iroh knows none yet). BUFFER_TOO_SMALL (only the lengths
 * written) when relay_cap or addrs_cap is short. */
typedef struct aster_iroh_addr_out {
  uint32_t struct_size; /* sizeof(aster_iroh_addr_out) */
  uint8_t id[32];
  char *relay_url;
  size_t relay_cap;
  size_t relay_len;
  aster_iroh_sockaddr *addrs;
  size_t addrs_cap;
  size_t addrs_len;
} aster_iroh_addr_out;
int32_t aster_iroh_endpoint_addr(aster_iroh_rt *rt, aster_iroh_handle ep,
                                 aster_iroh_addr_out *out);
/* Graceful close (router shutdown, endpoint close; waits for close acks, ≈3 s at most). */
int32_t aster_iroh_endpoint_close(aster_iroh_rt *rt, aster_iroh_handle ep, uint64_t user_data,
                                  aster_iroh_op *out_op);
/* Releases the handle; an endpoint not closed yet is closed in the background. */
int32_t aster_iroh_endpoint_free(aster_iroh_rt *rt, aster_iroh_handle ep);

/* ---- gate 0 ---- */
/* allow != 0: accept. Otherwise the connection is closed with application code + reason
 * (0.1.2 denies with 403 "not admitted"). NOT_FOUND once answered or timed out. */
int32_t aster_iroh_hook_respond(aster_iroh_rt *rt, aster_iroh_handle invocation, uint32_t allow,
                                uint64_t code, const uint8_t *reason, size_t reason_len);

/* ---- connections ---- */
typedef struct aster_iroh_connect_cfg {
  uint32_t struct_size;      /* sizeof(aster_iroh_connect_cfg) */
  uint32_t timeout_ms;       /* 0 = none beyond iroh's own */
  uint8_t endpoint_id[32];   /* ed25519 public key */
  const char *relay_url;     /* NULL/"" = none */
  const aster_iroh_sockaddr *addrs;
  size_t addrs_len;
  aster_iroh_bytes alpn;
} aster_iroh_connect_cfg;

/* Event CONNECT: h1 = conn. Gate-0 denial by the peer shows up as CONN_APP_CLOSED (here or on
 * the connection's next operation). */
int32_t aster_iroh_connect(aster_iroh_rt *rt, aster_iroh_handle ep,
                           const aster_iroh_connect_cfg *cfg, uint64_t user_data,
                           aster_iroh_op *out_op);
/* Next incoming connection on any served ALPN (pull; 256 queued at most). Event ACCEPT. */
int32_t aster_iroh_accept_next(aster_iroh_rt *rt, aster_iroh_handle ep, uint64_t user_data,
                               aster_iroh_op *out_op);
/* Continuous accept of connections: ACCEPT events (OK) until the endpoint closes or the op is
 * cancelled; at most `window` beyond the grants. */
int32_t aster_iroh_accept_each(aster_iroh_rt *rt, aster_iroh_handle ep, uint32_t window,
                               uint64_t user_data, aster_iroh_op *out_op);
/* Gives a continuous op (accept_each, accept_bi_each, conn_path_watch) `n` more deliveries.
 * NOT_FOUND once it ended. */
int32_t aster_iroh_grant(aster_iroh_rt *rt, aster_iroh_op op, uint32_t n);
/* Application close (sync). */
int32_t aster_iroh_conn_close(aster_iroh_rt *rt, aster_iroh_handle conn, uint64_t code,
                              const uint8_t *reason, size_t reason_len);
/* Completes when the connection is closed: CONN_APP_CLOSED (code, reason payload),
 * CONN_TRANSPORT_CLOSED, CONN_RESET, CONN_TIMED_OUT or CONN_LOCALLY_CLOSED. */
int32_t aster_iroh_conn_closed(aster_iroh_rt *rt, aster_iroh_handle conn, uint64_t user_data,
                               aster_iroh_op *out_op);
/* ---- connection path (iroh 0.97.0 Connection::paths: the path iroh selected to send on) */
enum aster_iroh_path_kind {
  ASTER_IROH_PATH_NONE = 0,   /* no path selected (yet) */
  ASTER_IROH_PATH_DIRECT = 1, /* UDP straight to the peer's address (holepunched or local) */
  ASTER_IROH_PATH_RELAY = 2   /* through a relay server */
};
typedef struct aster_iroh_path_out {
  uint32_t struct_size;     /* sizeof(aster_iroh_path_out) */
  uint32_t kind;            /* enum aster_iroh_path_kind */
  aster_iroh_sockaddr addr; /* DIRECT: the peer's address; else family 0 */
  uint64_t rtt_us;          /* the path's RTT estimate in µs; 0 = unknown */
  char *relay_url;          /* RELAY: the URL (not NUL-terminated) into this buffer */
  size_t relay_cap;
  size_t relay_len;
} aster_iroh_path_out;
/* The selected path now (sync). BUFFER_TOO_SMALL (only relay_len written) when relay_cap is
 * short. Right after connect the kind may still be NONE for a moment. */
int32_t aster_iroh_conn_path(aster_iroh_rt *rt, aster_iroh_handle conn, aster_iroh_path_out *out);
/* Continuous watch of the selected path: PATH events (status OK, code = kind, payload = u64
 * rtt_us (0 = unknown), u64 µs from this call to when the bridge saw the path (both little
 * endian; the event itself may be drained later), then for DIRECT the peer's address as the
 * 20 bytes of an aster_iroh_sockaddr, for RELAY the URL text, for NONE nothing) — first the
 * path when the op starts, then one per change of the selected path (a new RTT alone is no
 * change). Ends with
 * one terminal event: the connection's close status (CONN_*, as conn_closed) or CANCELLED.
 * At most `window` beyond the grants (aster_iroh_grant); a change seen while out of credit is
 * delivered as the newest path. Does not keep the connection open. */
int32_t aster_iroh_conn_path_watch(aster_iroh_rt *rt, aster_iroh_handle conn, uint32_t window,
                                   uint64_t user_data, aster_iroh_op *out_op);
/* Releases the handle; the connection closes (code 0) once nothing uses it. */
int32_t aster_iroh_conn_free(aster_iroh_rt *rt, aster_iroh_handle conn);

/* ---- bidi streams ---- */
/* Waits for stream credit beyond the peer's limit (never fails for that). */
int32_t aster_iroh_open_bi(aster_iroh_rt *rt, aster_iroh_handle conn, uint64_t user_data,
                           aster_iroh_op *out_op);
int32_t aster_iroh_accept_bi(aster_iroh_rt *rt, aster_iroh_handle conn, uint64_t user_data,
                             aster_iroh_op *out_op);
#define ASTER_IROH_SEND_FIN 1u    /* send/open_bi_send: FIN after the data */
#define ASTER_IROH_RECV_TO_END 1u /* recv: read until FIN (at most max bytes) in one op */
/* open_bi_send: when the peer's stream limit is reached, complete BUSY at once (inline)
 * instead of waiting for credit, so the caller can rebuild time-dependent bytes after waiting. */
#define ASTER_IROH_OPEN_NOWAIT 2u
/* recv (plain read): when the FIN already arrived behind the bytes read, report it with them
 * (status FIN + payload) instead of on the next read; the stream then ends without the
 * STOP_SENDING noq sends for a recv half dropped before its FIN was read. */
#define ASTER_IROH_RECV_FIN_WITH_DATA 2u
/* recv: when nothing can be read yet, complete BUSY at once (inline) instead of waiting; lets
 * a caller skip arming a timer for bytes that are already here. */
#define ASTER_IROH_RECV_NOWAIT 4u
/* open_bi + write + (SEND_FIN) finish as one operation: OPEN_BI event or inline (DONE). */
int32_t aster_iroh_open_bi_send(aster_iroh_rt *rt, aster_iroh_handle conn, const uint8_t *data,
                                size_t len, uint32_t flags, uint64_t user_data,
                                aster_iroh_op *out_op, aster_iroh_event *now);
/* ABI 11: a whole call in one operation: open_bi + write + (SEND_FIN) finish, then the reply's
 * first bytes. One OPEN_BI event: h1 send half, h2 recv half, the reply bytes readable at once
 * (at most reply_max; data/len/lease as for READ, lease 0 when none) and, in code,
 * ASTER_IROH_ACCEPT_FIN when the reply's FIN came with them. ABI 13: with ACCEPT_FIN the call is
 * over and h1 = h2 = 0 (the bridge dropped both halves; only the lease is the caller's).
 * A failed read completes it
 * without bytes (the next read reports it). OPEN_NOWAIT as above. Cancelled before its event,
 * it resets the send half and stops the recv half with cancel_code. Never inline. */
int32_t aster_iroh_open_bi_call(aster_iroh_rt *rt, aster_iroh_handle conn, const uint8_t *data,
                                size_t len, uint32_t flags, size_t reply_max,
                                uint64_t cancel_code, uint64_t user_data,
                                aster_iroh_op *out_op);
/* Continuous accept of bidi streams: ACCEPT_BI events (OK) until the connection closes or the
 * op is cancelled; at most `window` beyond the grants. */
int32_t aster_iroh_accept_bi_each(aster_iroh_rt *rt, aster_iroh_handle conn, uint32_t window,
                                  uint64_t user_data, aster_iroh_op *out_op);
/* ABI 8: accept_bi_each whose ACCEPT_BI events also carry the stream's bytes that are readable
 * at once (at most first_max; data/len/lease as for READ, lease 0 when none) and, in code,
 * ASTER_IROH_ACCEPT_FIN when its FIN came with them (the recv half is then read to its end).
 * A request that arrives in the stream's first packet then needs no read. ABI 14: with
 * ACCEPT_FIN h2 = 0 (the bridge dropped the recv half, read to its end; the lease is the
 * caller's). */
#define ASTER_IROH_ACCEPT_FIN 1u
int32_t aster_iroh_accept_bi_each_read(aster_iroh_rt *rt, aster_iroh_handle conn,
                                       uint32_t window, size_t first_max, uint64_t user_data,
                                       aster_iroh_op *out_op);
/* Copies data; WRITE completes when noq accepted every byte. One write pending per stream. */
int32_t aster_iroh_write(aster_iroh_rt *rt, aster_iroh_handle send, const uint8_t *data,
                         size_t len, uint64_t user_data, aster_iroh_op *out_op);
/* write + (SEND_FIN) finish: WRITE event or inline (DONE). ABI 14, SEND_RELEASE: a send that
 * completes inline with status OK also frees `send` (the handle is gone); one that waits (OK
 * returned, a WRITE event to come) or fails leaves it the caller's. */
#define ASTER_IROH_SEND_RELEASE 8u
int32_t aster_iroh_send(aster_iroh_rt *rt, aster_iroh_handle send, const uint8_t *data,
                        size_t len, uint32_t flags, uint64_t user_data, aster_iroh_op *out_op,
                        aster_iroh_event *now);
/* ABI 15: aster_iroh_send without a copy of data: the bridge owns the bytes (noq keeps them in
 * its send buffer until the peer acknowledged them) and calls release(ctx) exactly once, whatever
 * this returns: maybe before it returns, maybe later from the runtime's thread. data must stay
 * readable and unchanged until then. */
typedef void (*aster_iroh_release_fn)(void *ctx);
int32_t aster_iroh_send_owned(aster_iroh_rt *rt, aster_iroh_handle send, const uint8_t *data,
                              size_t len, aster_iroh_release_fn release, void *ctx,
                              uint32_t flags, uint64_t user_data, aster_iroh_op *out_op,
                              aster_iroh_event *now);
/* FIN after the queued writes (sync). */
int32_t aster_iroh_finish(aster_iroh_rt *rt, aster_iroh_handle send);
/* RESET_STREAM(code); a pending write completes CANCELLED. */
int32_t aster_iroh_reset(aster_iroh_rt *rt, aster_iroh_handle send, uint64_t code);
int32_t aster_iroh_stopped(aster_iroh_rt *rt, aster_iroh_handle send, uint64_t user_data,
                           aster_iroh_op *out_op);
/* Dropping an unfinished send half FINISHES it (noq); reset first on abnormal teardown. */
int32_t aster_iroh_send_free(aster_iroh_rt *rt, aster_iroh_handle send);
/* Up to max bytes (zero-copy lease) or FIN. One read pending per stream (else BUSY). */
int32_t aster_iroh_read(aster_iroh_rt *rt, aster_iroh_handle recv, size_t max,
                        uint64_t user_data, aster_iroh_op *out_op);
/* read, or (RECV_TO_END) read to FIN: READ event with status FIN and the whole payload,
 * TOO_LONG past max; or inline (DONE). A cancelled read-to-end may lose what it had read. */
int32_t aster_iroh_recv(aster_iroh_rt *rt, aster_iroh_handle recv, size_t max, uint32_t flags,
                        uint64_t user_data, aster_iroh_op *out_op, aster_iroh_event *now);
/* STOP_SENDING(code); a pending read completes CANCELLED. */
int32_t aster_iroh_stop(aster_iroh_rt *rt, aster_iroh_handle recv, uint64_t code);
/* Dropping a partly read recv half sends STOP_SENDING 0 (noq). */
int32_t aster_iroh_recv_free(aster_iroh_rt *rt, aster_iroh_handle recv);
/* Frees n_streams stream halves (send or recv) and releases n_leases leases in one call, as
 * the single frees do (NOT_FOUND when any was missing; the rest are freed). */
int32_t aster_iroh_release_many(aster_iroh_rt *rt, const aster_iroh_handle *streams,
                                size_t n_streams, const uint64_t *leases, size_t n_leases);

/* ---- blobs and docs (endpoints created with ASTER_IROH_EP_CONTENT, else INVALID_ARG) ----
 * Generic operations on the endpoint's iroh-blobs store and iroh-docs engine (bridge/src/
 * content.rs). Hashes, namespace and author ids are 32 raw bytes. Errors: STORE (store or
 * engine), NOT_FOUND (blob absent or partial, collection not local), TOO_LONG, TIMEOUT,
 * CONNECT_FAILED (download), each with a message payload. Packed payloads are little endian. */

/* Adds a raw blob; tag (NULL/empty = none) keeps it from GC. Event BLOB_ADD. */
int32_t aster_iroh_blob_add(aster_iroh_rt *rt, aster_iroh_handle ep, const uint8_t *data,
                            size_t len, const aster_iroh_bytes *tag, uint64_t user_data,
                            aster_iroh_op *out_op);
/* Adds n named blobs and an iroh-blobs Collection over them (a HashSeq whose first child is
 * the names blob), names in the given order; tag (HashSeq) keeps it. Event BLOB_ADD with the
 * collection root hash. */
int32_t aster_iroh_blob_add_collection(aster_iroh_rt *rt, aster_iroh_handle ep,
                                       const aster_iroh_bytes *names,
                                       const aster_iroh_bytes *datas, size_t n,
                                       const aster_iroh_bytes *tag, uint64_t user_data,
                                       aster_iroh_op *out_op);
/* Reads a complete local blob of at most max bytes. Event BLOB_READ. */
int32_t aster_iroh_blob_read(aster_iroh_rt *rt, aster_iroh_handle ep, const uint8_t *hash,
                             size_t max, uint64_t user_data, aster_iroh_op *out_op);
/* Downloads a blob, or with DOWNLOAD_HASH_SEQ a HashSeq and all its children, from the peer
 * `peer` names (its alpn is ignored; timeout_ms bounds the download, 0 = none). Event
 * BLOB_DOWNLOAD. With DOWNLOAD_PROGRESS, events of kind BLOB_DOWNLOAD and status PROGRESS
 * (code = bytes of the request present so far, local ones included; at most one per 50 ms)
 * come first; they are not terminal and carry no payload. Other flags: INVALID_ARG. */
#define ASTER_IROH_DOWNLOAD_HASH_SEQ 1u
#define ASTER_IROH_DOWNLOAD_PROGRESS 2u
int32_t aster_iroh_blob_download(aster_iroh_rt *rt, aster_iroh_handle ep,
                                 const aster_iroh_connect_cfg *peer, const uint8_t *hash,
                                 uint32_t flags, uint64_t user_data, aster_iroh_op *out_op);
/* The size of a blob at the peer `peer` names, verified from its last chunk (alpn ignored;
 * timeout_ms bounds it). Event BLOB_REMOTE_SIZE, code = size; a peer without the blob fails
 * it (CONNECT_FAILED + message). */
int32_t aster_iroh_blob_remote_size(aster_iroh_rt *rt, aster_iroh_handle ep,
                                    const aster_iroh_connect_cfg *peer, const uint8_t *hash,
                                    uint64_t user_data, aster_iroh_op *out_op);
/* Lists a local Collection. Event COLLECTION_LIST, payload: u32 count, then per entry
 * u32 name_len, name, hash[32], u64 size. */
int32_t aster_iroh_collection_list(aster_iroh_rt *rt, aster_iroh_handle ep,
                                   const uint8_t *hash, uint64_t user_data,
                                   aster_iroh_op *out_op);
/* Creates a document we can write. Event DOC_CREATE (h1 = doc, payload = namespace id). */
int32_t aster_iroh_doc_create(aster_iroh_rt *rt, aster_iroh_handle ep, uint64_t user_data,
                              aster_iroh_op *out_op);
/* Creates an author. Event AUTHOR_CREATE (payload = author id). */
int32_t aster_iroh_author_create(aster_iroh_rt *rt, aster_iroh_handle ep, uint64_t user_data,
                                 aster_iroh_op *out_op);
/* Sets a non-empty key to value as author. Event DOC_SET (payload = content hash). */
int32_t aster_iroh_doc_set(aster_iroh_rt *rt, aster_iroh_handle doc, const uint8_t *author,
                           const uint8_t *key, size_t key_len, const uint8_t *value,
                           size_t value_len, uint64_t user_data, aster_iroh_op *out_op);
/* Opens the document for sync with any peer that knows its namespace (what iroh-docs'
 * Doc::share does besides making a ticket). Event DOC_OPEN_SYNC. */
int32_t aster_iroh_doc_open_sync(aster_iroh_rt *rt, aster_iroh_handle doc, uint64_t user_data,
                                 aster_iroh_op *out_op);
/* Joins namespace[32] read-only with the peer `peer` names as sync peer (alpn ignored), then
 * waits up to peer->timeout_ms (0 = not at all) for the first sync with it to finish and the
 * content it announced to arrive. Event DOC_JOIN: h1 = doc, code = flags below (status OK
 * even when the wait ran out), payload = the sync error text with JOIN_SYNC_FAILED. */
#define ASTER_IROH_JOIN_SYNC_FINISHED 1u
#define ASTER_IROH_JOIN_CONTENT_READY 2u
#define ASTER_IROH_JOIN_SYNC_FAILED 4u
int32_t aster_iroh_doc_join(aster_iroh_rt *rt, aster_iroh_handle ep,
                            const aster_iroh_connect_cfg *peer, const uint8_t *namespace_id,
                            uint64_t user_data, aster_iroh_op *out_op);
/* Entries whose key equals (prefix = 0) or starts with (prefix != 0) key, all authors, at
 * most limit (0 = all). Event DOC_QUERY, payload: u32 count, then per entry author[32],
 * u32 key_len, key, content_hash[32], u64 content_len, u64 timestamp (µs). Read an entry's
 * content with aster_iroh_blob_read on the endpoint (docs keep it in the blob store). */
int32_t aster_iroh_doc_query(aster_iroh_rt *rt, aster_iroh_handle doc, const uint8_t *key,
                             size_t key_len, uint32_t prefix, uint64_t limit,
                             uint64_t user_data, aster_iroh_op *out_op);
/* The iroh-blobs ticket text ("blob…") for hash at this endpoint's address, HashSeq format
 * when hash_seq != 0, into out (not NUL-terminated); *out_len = its length. BUFFER_TOO_SMALL
 * (only *out_len written) when cap is short. Sync. */
int32_t aster_iroh_blob_ticket(aster_iroh_rt *rt, aster_iroh_handle ep, const uint8_t *hash,
                               uint32_t hash_seq, uint8_t *out, size_t cap, size_t *out_len);
/* Namespace id into out[32] (sync). */
int32_t aster_iroh_doc_id(aster_iroh_rt *rt, aster_iroh_handle doc, uint8_t *out);
int32_t aster_iroh_doc_free(aster_iroh_rt *rt, aster_iroh_handle doc);

#ifdef __cplusplus
}
#endif
#endif /* ASTER_IROH_H */
