//! Endpoint ("node" in 0.1.2: `IrohNode`, aster-rpc@0972ac9:bindings/python/aster/runtime.py),
//! connections and the gate-0 hook.
//! The Router serves the Aster ALPNs through queue handlers and, with `content`, iroh-blobs,
//! iroh-gossip and iroh-docs next to them (src/content.rs), as 0.1.2 nodes do.

use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use iroh::endpoint::{
    AfterHandshakeOutcome, ConnectError, ConnectWithOptsError, ConnectingError, Connection,
    ConnectionInfo, EndpointHooks, IdleTimeout, PortmapperConfig, QuicTransportConfig, Side,
    VarInt,
};
use iroh::protocol::{AcceptError, ProtocolHandler, Router};
use iroh::{Endpoint, EndpointAddr, RelayMode, RelayUrl, SecretKey};
use tokio::sync::{mpsc, oneshot};

use crate::abi::{kind, status};
use crate::runtime::{conn_error, Completion, Obj, Shared};

/// 0.1.2's accept queue capacity (aster-rpc@0972ac9:core/src/lib.rs `ASTER_QUEUE_CAPACITY`).
const ACCEPT_QUEUE: usize = 256;
/// 0.1.2 gate-0 reply timeout; on expiry the connection is accepted (parity with
/// aster-rpc@0972ac9:core/src/lib.rs `CoreHooksAdapter`).
pub const DEFAULT_HOOK_TIMEOUT_MS: u32 = 5000;

pub struct EndpointObj {
    pub endpoint: Endpoint,
    pub router: Router,
    pub accept_rx: tokio::sync::Mutex<mpsc::Receiver<Connection>>,
    /// Our own handle, set when the create op completes; HOOK events carry it in `h1`.
    pub handle: Arc<OnceLock<u64>>,
    /// Blobs/gossip/docs, when the endpoint was created with them.
    pub content: Option<Arc<crate::content::ContentNode>>,
}

pub struct ConnObj {
    pub conn: Connection,
}

pub enum HookDecision {
    Allow,
    Deny { code: VarInt, reason: Vec<u8> },
}

pub struct HookObj {
    pub reply: Mutex<Option<oneshot::Sender<HookDecision>>>,
}

/// Payload of CONNECT/ACCEPT/HOOK events: remote endpoint id (32 raw bytes) then the ALPN.
pub fn id_alpn_payload(id: &iroh::EndpointId, alpn: &[u8]) -> Bytes {
    let mut b = BytesMut::with_capacity(32 + alpn.len());
    b.put_slice(id.as_bytes());
    b.put_slice(alpn);
    b.freeze()
}

#[derive(Debug, Clone)]
struct QueueHandler {
    tx: mpsc::Sender<Connection>,
}

impl ProtocolHandler for QueueHandler {
    async fn accept(&self, connection: Connection) -> Result<(), AcceptError> {
        // Back-pressure: the Router task waits while the queue is full (accept_next is a pull).
        let _ = self.tx.send(connection).await;
        Ok(())
    }
}

/// Gate 0: `after_handshake` runs for incoming and outgoing connections on every ALPN; it
/// pushes a HOOK event and waits for `hook_respond`, accepting after the timeout (iroh 0.97.0
/// src/endpoint/hooks.rs; 0.1.2: aster-rpc@0972ac9:core/src/lib.rs `CoreHooksAdapter`).
#[derive(Debug)]
struct GateHook {
    shared: Weak<Shared>,
    ep_handle: Arc<OnceLock<u64>>,
    timeout: Duration,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Shared")
    }
}

impl EndpointHooks for GateHook {
    async fn after_handshake<'a>(&'a self, conn: &'a ConnectionInfo) -> AfterHandshakeOutcome {
        let Some(shared) = self.shared.upgrade() else {
            return AfterHandshakeOutcome::Accept;
        };
        let (tx, rx) = oneshot::channel();
        let inv = shared.insert(Obj::Hook(Arc::new(HookObj {
            reply: Mutex::new(Some(tx)),
        })));
        let side = match conn.side() {
            Side::Server => 0u64, // incoming
            Side::Client => 1u64, // outgoing
        };
        let ep = self.ep_handle.get().copied().unwrap_or(0);
        shared.push_event(
            kind::HOOK,
            status::OK,
            0,
            0,
            ep,
            inv,
            side,
            Some(id_alpn_payload(&conn.remote_id(), conn.alpn())),
        );
        drop(shared);
        match tokio::time::timeout(self.timeout, rx).await {
            Ok(Ok(HookDecision::Deny { code, reason })) => AfterHandshakeOutcome::Reject {
                error_code: code,
                reason,
            },
            Ok(Ok(HookDecision::Allow)) => AfterHandshakeOutcome::Accept,
            _ => {
                // Timed out (or the invocation vanished): 0.1.2 accepts. Drop the invocation
                // so a late hook_respond gets NOT_FOUND.
                if let Some(s) = self.shared.upgrade() {
                    s.remove(inv);
                }
                AfterHandshakeOutcome::Accept
            }
        }
    }
}

pub struct EndpointParams {
    pub secret_key: Option<[u8; 32]>,
    pub bind_v4: Option<std::net::SocketAddrV4>,
    pub relay_mode: RelayMode,
    pub portmapper: bool,
    pub gate: bool,
    pub hook_timeout: Duration,
    pub max_bidi_streams: u32,
    pub idle_timeout_ms: u32,
    pub alpns: Vec<Vec<u8>>,
    pub content: bool,
    /// Extra trusted CA certificates (DER) for TLS to relays, on top of the embedded roots.
    pub relay_ca_roots: Vec<Vec<u8>>,
}

/// The extra relay CA roots as certificates, each checked on its own: iroh builds its root
/// store with `add_parsable_certificates`, which silently skips what it cannot parse
/// (iroh-relay 0.97.0 src/tls.rs `CaRootsConfig::server_cert_verifier`), so a verifier over
/// just that one root fails exactly when the root is unusable ("no root anchors").
fn relay_ca_roots(
    ders: Vec<Vec<u8>>,
) -> Result<Vec<rustls_pki_types::CertificateDer<'static>>, String> {
    let provider = iroh::tls::default_provider();
    let mut roots = Vec::with_capacity(ders.len());
    for (i, der) in ders.into_iter().enumerate() {
        let cert = rustls_pki_types::CertificateDer::from(der);
        iroh::tls::CaRootsConfig::custom([cert.clone()])
            .server_cert_verifier(provider.clone())
            .map_err(|e| {
                format!(
                    "relay CA root #{}: not a usable X.509 certificate (DER): {e}",
                    i + 1
                )
            })?;
        roots.push(cert);
    }
    Ok(roots)
}

pub async fn create_endpoint(shared: Weak<Shared>, p: EndpointParams) -> Completion {
    let mut b = Endpoint::empty_builder()
        .relay_mode(p.relay_mode)
        .portmapper_config(if p.portmapper {
            PortmapperConfig::default()
        } else {
            PortmapperConfig::Disabled
        });
    if let Some(k) = p.secret_key {
        b = b.secret_key(SecretKey::from_bytes(&k));
    }
    if !p.relay_ca_roots.is_empty() {
        match relay_ca_roots(p.relay_ca_roots) {
            Ok(roots) => {
                b = b.ca_roots_config(iroh::tls::CaRootsConfig::embedded().with_extra_roots(roots))
            }
            Err(msg) => return Completion::err(status::INVALID_ARG, msg),
        }
    }
    if let Some(addr) = p.bind_v4 {
        b = match b
            .clear_ip_transports()
            .bind_addr(std::net::SocketAddr::V4(addr))
        {
            Ok(b) => b,
            Err(e) => return Completion::err(status::INVALID_ARG, format!("bind_v4: {e}")),
        };
    }
    if p.max_bidi_streams > 0 || p.idle_timeout_ms > 0 {
        // Per-endpoint settings, not wire format; iroh's defaults otherwise stay (noq-proto
        // 0.16.0 src/config/transport.rs, iroh 0.97.0 src/endpoint/quic.rs), and
        // with both fields 0 no transport config is set at all (0.1.2 parity).
        let mut t = QuicTransportConfig::builder();
        if p.max_bidi_streams > 0 {
            t = t.max_concurrent_bidi_streams(VarInt::from_u32(p.max_bidi_streams));
        }
        if p.idle_timeout_ms > 0 {
            t = t.max_idle_timeout(Some(IdleTimeout::from(VarInt::from_u32(p.idle_timeout_ms))));
        }
        b = b.transport_config(t.build());
    }
    let handle = Arc::new(OnceLock::new());
    if p.gate {
        b = b.hooks(GateHook {
            shared,
            ep_handle: handle.clone(),
            timeout: p.hook_timeout,
        });
    }
    let endpoint = match b.bind().await {
        Ok(e) => e,
        Err(e) => return Completion::err(status::INTERNAL, format!("bind failed: {e}")),
    };
    let (tx, rx) = mpsc::channel(ACCEPT_QUEUE);
    let mut rb = Router::builder(endpoint.clone());
    for alpn in p.alpns {
        rb = rb.accept(alpn, QueueHandler { tx: tx.clone() });
    }
    let mut content = None;
    if p.content {
        match crate::content::spawn(&endpoint, rb).await {
            Ok((b, c)) => {
                rb = b;
                content = Some(Arc::new(c));
            }
            Err(e) => return Completion::err(status::STORE, e),
        }
    }
    let router = rb.spawn();
    Completion::ok().with_obj(
        0,
        Obj::Endpoint(Arc::new(EndpointObj {
            endpoint,
            router,
            accept_rx: tokio::sync::Mutex::new(rx),
            handle,
            content,
        })),
    )
}

/// Relay URL (or empty) and direct addresses, in EndpointAddr order; the bound sockets
/// when iroh reports no direct address yet.
pub fn addr_parts(ep: &Endpoint) -> (String, Vec<std::net::SocketAddr>) {
    let addr: EndpointAddr = ep.addr();
    let relay = addr
        .relay_urls()
        .next()
        .map(|r| r.to_string())
        .unwrap_or_default();
    let mut ips: Vec<std::net::SocketAddr> = addr.ip_addrs().cloned().collect();
    if ips.is_empty() {
        ips = ep.bound_sockets();
    }
    (relay, ips)
}

pub struct ConnectParams {
    pub addr: EndpointAddr,
    pub alpn: Vec<u8>,
    pub timeout: Option<Duration>,
}

pub fn parse_relay(s: &str) -> Result<RelayUrl, String> {
    s.parse::<RelayUrl>()
        .map_err(|e| format!("relay url {s:?}: {e}"))
}

fn connect_error(e: ConnectError) -> Completion {
    match &e {
        ConnectError::Connect { source, .. } => match source {
            ConnectWithOptsError::LocallyRejected { .. } => {
                Completion::err(status::REJECTED_LOCALLY, e.to_string())
            }
            _ => Completion::err(status::CONNECT_FAILED, format!("{e:#}")),
        },
        ConnectError::Connecting { source, .. } => match source {
            ConnectingError::ConnectionError { source, .. } => conn_error(source),
            ConnectingError::LocallyRejected { .. } => {
                Completion::err(status::REJECTED_LOCALLY, e.to_string())
            }
            _ => Completion::err(status::CONNECT_FAILED, format!("{e:#}")),
        },
        ConnectError::Connection { source, .. } => conn_error(source),
        #[allow(unreachable_patterns)]
        _ => Completion::err(status::CONNECT_FAILED, format!("{e:#}")),
    }
}

pub async fn connect(ep: Arc<EndpointObj>, p: ConnectParams) -> Completion {
    let fut = ep.endpoint.connect(p.addr, &p.alpn);
    let res = match p.timeout {
        Some(t) => match tokio::time::timeout(t, fut).await {
            Ok(r) => r,
            Err(_) => return Completion::err(status::TIMEOUT, "connect timed out"),
        },
        None => fut.await,
    };
    match res {
        Ok(conn) => {
            let payload = id_alpn_payload(&conn.remote_id(), conn.alpn());
            Completion::ok()
                .with_data(payload)
                .with_obj(0, Obj::Conn(Arc::new(ConnObj { conn })))
        }
        Err(e) => connect_error(e),
    }
}

pub fn accepted(conn: Connection) -> Completion {
    let payload = id_alpn_payload(&conn.remote_id(), conn.alpn());
    Completion::ok()
        .with_data(payload)
        .with_obj(0, Obj::Conn(Arc::new(ConnObj { conn })))
}

pub async fn accept_next(ep: Arc<EndpointObj>) -> Completion {
    let mut rx = ep.accept_rx.lock().await;
    match rx.recv().await {
        Some(conn) => accepted(conn),
        None => Completion::err(status::CONN_LOCALLY_CLOSED, "endpoint closed"),
    }
}

/// The path a connection currently sends on, as iroh's path watcher reports it (iroh 0.97.0
/// src/endpoint/connection.rs `Connection::paths`, src/socket/remote_map/remote_state/
/// path_watcher.rs `PathInfo`). `addr` = the peer's IP address (direct) or the relay URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathSnapshot {
    pub addr: Option<iroh::TransportAddr>,
    pub rtt_us: u64,
}

impl PathSnapshot {
    pub fn kind(&self) -> u32 {
        match &self.addr {
            Some(iroh::TransportAddr::Ip(_)) => crate::abi::PATH_DIRECT,
            Some(iroh::TransportAddr::Relay(_)) => crate::abi::PATH_RELAY,
            _ => crate::abi::PATH_NONE,
        }
    }

    /// PATH event payload: u64 rtt_us, u64 µs from the watch's start to when the bridge saw
    /// this path (both little endian; rtt 0 = unknown), then for a direct path the peer's
    /// address as an `aster_iroh_sockaddr` (20 bytes), for a relay path the URL.
    pub fn payload(&self, since_start: Duration) -> Bytes {
        let mut b = BytesMut::with_capacity(16 + 64);
        b.put_u64_le(self.rtt_us);
        b.put_u64_le(u64::try_from(since_start.as_micros()).unwrap_or(u64::MAX));
        match &self.addr {
            Some(iroh::TransportAddr::Ip(a)) => {
                let s = crate::abi::aster_iroh_sockaddr::from_std(a);
                b.put_slice(&s.ip);
                b.put_u16_le(s.port);
                b.put_u8(s.family);
                b.put_u8(0);
            }
            Some(iroh::TransportAddr::Relay(u)) => b.put_slice(u.to_string().as_bytes()),
            _ => {}
        }
        b.freeze()
    }
}

/// The selected path in `paths`: an open one when iroh marks several with the selected address
/// (a closed path keeps its entry in the list).
pub fn selected_path(paths: &iroh::endpoint::PathInfoList) -> PathSnapshot {
    let chosen = paths
        .iter()
        .filter(|p| p.is_selected())
        .min_by_key(|p| p.is_closed());
    match chosen {
        Some(p) => {
            let addr = match p.remote_addr() {
                a @ (iroh::TransportAddr::Ip(_) | iroh::TransportAddr::Relay(_)) => Some(a.clone()),
                _ => None, // custom transports: not used by the bridge
            };
            PathSnapshot {
                addr,
                rtt_us: p
                    .rtt()
                    .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
                    .unwrap_or(0),
            }
        }
        None => PathSnapshot {
            addr: None,
            rtt_us: 0,
        },
    }
}

/// Continuous PATH events for one connection: the selected path when the op starts, then one
/// per change of the selected path (address or kind; RTT changes alone are not reported), at
/// most `sem`'s credits ahead of the consumer (a change seen while waiting for credit is
/// delivered as the latest path, never as a stale one). Holds only a weak handle, so the
/// connection still closes when its last handle goes; the terminal event says why it closed.
pub async fn path_watch(
    shared: Arc<Shared>,
    op: u64,
    info: iroh::endpoint::ConnectionInfo,
    sem: Arc<tokio::sync::Semaphore>,
    started: std::time::Instant,
) -> Completion {
    use iroh::Watcher;
    let closed = info.closed();
    tokio::pin!(closed);
    let mut watcher = info.paths();
    let mut last: Option<Option<iroh::TransportAddr>> = None;
    let mut watching = true;
    loop {
        let now = selected_path(&watcher.get());
        if last.as_ref() != Some(&now.addr) {
            let permit = tokio::select! {
                biased;
                c = &mut closed => return closed_completion(c),
                p = sem.acquire() => match p {
                    Ok(p) => p,
                    Err(_) => return Completion::err(status::INTERNAL, "credit closed"),
                },
            };
            // The newest path once credit is there.
            let now = selected_path(&watcher.get());
            if last.as_ref() != Some(&now.addr) {
                permit.forget();
                let c = Completion::ok()
                    .with_code(now.kind() as u64)
                    .with_data(now.payload(started.elapsed()));
                if !shared.deliver(op, c) {
                    return Completion::ok(); // cancelled meanwhile; nothing to emit
                }
                last = Some(now.addr);
            }
        }
        if !watching {
            // The watcher ended (the connection closed): only its close reason is left.
            return match tokio::time::timeout(Duration::from_secs(5), &mut closed).await {
                Ok(c) => closed_completion(c),
                Err(_) => Completion::err(status::CONN_LOCALLY_CLOSED, "path watcher ended"),
            };
        }
        tokio::select! {
            biased;
            c = &mut closed => return closed_completion(c),
            r = watcher.updated() => if r.is_err() { watching = false },
        }
    }
}

fn closed_completion(
    c: Option<(
        iroh::endpoint::ConnectionError,
        iroh::endpoint::ConnectionStats,
    )>,
) -> Completion {
    match c {
        Some((e, _)) => conn_error(&e),
        None => Completion::err(status::CONN_LOCALLY_CLOSED, "connection dropped"),
    }
}
