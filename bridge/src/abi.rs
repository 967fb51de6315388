//! Types shared with C (include/aster_iroh.h). Layouts are pinned by the `const` asserts at the
//! bottom; tests/unit/bridge/abi_layout.c checks the same numbers from the C side.
#![allow(non_camel_case_types)]

use std::mem::{offset_of, size_of};
use std::os::raw::c_char;

/// Status codes (`aster_iroh_status` in include/aster_iroh.h; CONN_* mirror noq-proto 0.16.0
/// src/connection/mod.rs `ConnectionError`). 0 and 1 are outcomes; failures start at 1000 so
/// they never look like errno values.
pub mod status {
    pub const OK: i32 = 0;
    pub const FIN: i32 = 1;
    /// Submit status: the op completed inline and its outcome was written to `*now`.
    pub const DONE: i32 = 2;
    /// A non-terminal event of an op asked to report progress (code = units so far).
    pub const PROGRESS: i32 = 3;
    pub const INVALID_ARG: i32 = 1001;
    pub const NOT_FOUND: i32 = 1002;
    pub const BUSY: i32 = 1003;
    pub const BUFFER_TOO_SMALL: i32 = 1004;
    pub const CANCELLED: i32 = 1005;
    pub const TIMEOUT: i32 = 1006;
    pub const STREAM_RESET: i32 = 1007;
    pub const STREAM_STOPPED: i32 = 1008;
    pub const FINISHED_EARLY: i32 = 1009;
    pub const CONN_APP_CLOSED: i32 = 1010;
    pub const CONN_TRANSPORT_CLOSED: i32 = 1011;
    pub const CONN_RESET: i32 = 1012;
    pub const CONN_TIMED_OUT: i32 = 1013;
    pub const CONN_LOCALLY_CLOSED: i32 = 1014;
    pub const REJECTED_LOCALLY: i32 = 1015;
    pub const CONNECT_FAILED: i32 = 1016;
    pub const PARSE: i32 = 1017;
    pub const STORE: i32 = 1018;
    pub const INTERNAL: i32 = 1019;
    pub const PANIC: i32 = 1020;
    pub const TOO_LONG: i32 = 1021;

    pub fn name(s: i32) -> &'static [u8] {
        match s {
            OK => b"OK\0",
            FIN => b"FIN\0",
            DONE => b"DONE\0",
            PROGRESS => b"PROGRESS\0",
            INVALID_ARG => b"INVALID_ARG\0",
            NOT_FOUND => b"NOT_FOUND\0",
            BUSY => b"BUSY\0",
            BUFFER_TOO_SMALL => b"BUFFER_TOO_SMALL\0",
            CANCELLED => b"CANCELLED\0",
            TIMEOUT => b"TIMEOUT\0",
            STREAM_RESET => b"STREAM_RESET\0",
            STREAM_STOPPED => b"STREAM_STOPPED\0",
            FINISHED_EARLY => b"FINISHED_EARLY\0",
            CONN_APP_CLOSED => b"CONN_APP_CLOSED\0",
            CONN_TRANSPORT_CLOSED => b"CONN_TRANSPORT_CLOSED\0",
            CONN_RESET => b"CONN_RESET\0",
            CONN_TIMED_OUT => b"CONN_TIMED_OUT\0",
            CONN_LOCALLY_CLOSED => b"CONN_LOCALLY_CLOSED\0",
            REJECTED_LOCALLY => b"REJECTED_LOCALLY\0",
            CONNECT_FAILED => b"CONNECT_FAILED\0",
            PARSE => b"PARSE\0",
            STORE => b"STORE\0",
            INTERNAL => b"INTERNAL\0",
            PANIC => b"PANIC\0",
            TOO_LONG => b"TOO_LONG\0",
            _ => b"UNKNOWN\0",
        }
    }
}

/// What completed (`aster_iroh_event.kind`).
pub mod kind {
    pub const ENDPOINT_CREATE: u32 = 1;
    pub const ENDPOINT_CLOSE: u32 = 2;
    pub const CONNECT: u32 = 3;
    pub const ACCEPT: u32 = 4;
    pub const CONN_CLOSED: u32 = 5;
    pub const OPEN_BI: u32 = 6;
    pub const ACCEPT_BI: u32 = 7;
    pub const READ: u32 = 8;
    pub const WRITE: u32 = 9;
    pub const STOPPED: u32 = 10;
    pub const BLOB_ADD: u32 = 20;
    pub const BLOB_READ: u32 = 21;
    pub const BLOB_DOWNLOAD: u32 = 22;
    pub const COLLECTION_LIST: u32 = 23;
    pub const DOC_CREATE: u32 = 24;
    pub const AUTHOR_CREATE: u32 = 25;
    pub const DOC_SET: u32 = 26;
    pub const DOC_OPEN_SYNC: u32 = 27;
    pub const DOC_JOIN: u32 = 28;
    pub const DOC_QUERY: u32 = 29;
    pub const BLOB_REMOTE_SIZE: u32 = 30;
    /// A connection's selected network path (`aster_iroh_conn_path_watch`).
    pub const PATH: u32 = 31;
    pub const DEBUG: u32 = 99;
    /// Pushed without a request: gate-0 `after_handshake` asks C++
    /// (iroh 0.97.0 src/endpoint/hooks.rs; docs/transport.md, "Gate 0").
    pub const HOOK: u32 = 100;
}

pub const EP_SECRET_KEY: u32 = 1;
pub const EP_GATE: u32 = 2;
pub const EP_PORTMAPPER: u32 = 4;
pub const EP_CONTENT: u32 = 8;

/// `aster_iroh_blob_download` flags.
pub const DOWNLOAD_HASH_SEQ: u32 = 1;
pub const DOWNLOAD_PROGRESS: u32 = 2;

/// `aster_iroh_send` / `aster_iroh_open_bi_send`: FIN after the data.
pub const SEND_FIN: u32 = 1;
/// `aster_iroh_recv`: read until FIN (at most `max` bytes) in one operation.
pub const RECV_TO_END: u32 = 1;
/// `aster_iroh_open_bi_send`: complete BUSY at once instead of waiting for stream credit.
pub const OPEN_NOWAIT: u32 = 2;
/// `aster_iroh_recv` (plain read): report FIN with the last bytes when it is already known.
pub const RECV_FIN_WITH_DATA: u32 = 2;
/// `aster_iroh_recv`: complete BUSY at once (inline) instead of waiting for bytes.
pub const RECV_NOWAIT: u32 = 4;
/// `aster_iroh_send` (ABI 14): a send that completes at once (DONE, OK) frees its send half
/// too; one that waits leaves it the caller's.
pub const SEND_RELEASE: u32 = 8;
/// ACCEPT_BI event of `aster_iroh_accept_bi_each_read`: the FIN came with the bytes (`code`);
/// since ABI 14 the recv half is then dropped by the bridge (h2 = 0).
pub const ACCEPT_FIN: u64 = 1;

pub const RT_MULTI_THREAD: u32 = 0;
pub const RT_CURRENT_THREAD: u32 = 1;
pub const RT_CALLER_DRIVEN: u32 = 2;
/// aster_iroh_runtime_cfg.flags: stream operations from other threads run on the runtime, in
/// order, handed over in batches (docs/transport.md "Deferred submission").
pub const RT_DEFER_STREAM_OPS: u32 = 1;

pub const RELAY_DISABLED: u32 = 0;
pub const RELAY_DEFAULT: u32 = 1;
pub const RELAY_STAGING: u32 = 2;
pub const RELAY_CUSTOM: u32 = 3;

/// `aster_iroh_path_out.kind` / PATH event `code`: the path a connection sends on.
pub const PATH_NONE: u32 = 0;
pub const PATH_DIRECT: u32 = 1;
pub const PATH_RELAY: u32 = 2;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct aster_iroh_bytes {
    pub ptr: *const u8,
    pub len: usize,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct aster_iroh_event {
    pub kind: u32,
    pub status: i32,
    pub op: u64,
    pub user_data: u64,
    pub h1: u64,
    pub h2: u64,
    pub code: u64,
    pub data: *const u8,
    pub len: usize,
    pub lease: u64,
}

#[repr(C)]
pub struct aster_iroh_runtime_cfg {
    pub struct_size: u32,
    pub worker_threads: u32,
    pub flavor: u32,
    /// RT_* flags.
    pub flags: u32,
    /// current_thread: busy-poll this long after the last completion (`runtime::run_spin`).
    pub spin_us: u32,
}
/// Size of `aster_iroh_runtime_cfg` before `spin_us`.
pub const RUNTIME_CFG_V1_SIZE: usize = 16;

#[repr(C)]
pub struct aster_iroh_endpoint_cfg {
    pub struct_size: u32,
    pub flags: u32,
    pub secret_key: [u8; 32],
    pub relay_mode: u32,
    pub max_bidi_streams: u32,
    pub hook_timeout_ms: u32,
    pub idle_timeout_ms: u32,
    pub bind_v4: *const c_char,
    pub relay_url: *const c_char,
    pub alpns: *const aster_iroh_bytes,
    pub alpns_len: usize,
    // ABI 6: read only when struct_size covers them (ENDPOINT_CFG_V5_SIZE is the older size).
    pub relay_ca_roots: *const aster_iroh_bytes,
    pub relay_ca_roots_len: usize,
}

/// `sizeof(aster_iroh_endpoint_cfg)` before `relay_ca_roots` was appended (ABI 5); still
/// accepted, meaning no extra roots.
pub const ENDPOINT_CFG_V5_SIZE: usize = offset_of!(aster_iroh_endpoint_cfg, relay_ca_roots);

/// A UDP socket address as bytes: `family` 4 (ip[0..4]) or 6 (ip[0..16]), port in host order.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct aster_iroh_sockaddr {
    pub ip: [u8; 16],
    pub port: u16,
    pub family: u8,
    pub reserved: u8,
}

impl aster_iroh_sockaddr {
    pub fn to_std(&self) -> Option<std::net::SocketAddr> {
        use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
        let ip = match self.family {
            4 => IpAddr::V4(Ipv4Addr::new(
                self.ip[0], self.ip[1], self.ip[2], self.ip[3],
            )),
            6 => IpAddr::V6(Ipv6Addr::from(self.ip)),
            _ => return None,
        };
        Some(SocketAddr::new(ip, self.port))
    }
    pub fn from_std(a: &std::net::SocketAddr) -> Self {
        let mut ip = [0u8; 16];
        let family = match a.ip() {
            std::net::IpAddr::V4(v4) => {
                ip[..4].copy_from_slice(&v4.octets());
                4
            }
            std::net::IpAddr::V6(v6) => {
                ip.copy_from_slice(&v6.octets());
                6
            }
        };
        Self {
            ip,
            port: a.port(),
            family,
            reserved: 0,
        }
    }
}

#[repr(C)]
pub struct aster_iroh_connect_cfg {
    pub struct_size: u32,
    pub timeout_ms: u32,
    pub endpoint_id: [u8; 32],
    pub relay_url: *const c_char,
    pub addrs: *const aster_iroh_sockaddr,
    pub addrs_len: usize,
    pub alpn: aster_iroh_bytes,
}

/// Output of `aster_iroh_endpoint_addr`: caller-provided buffers, lengths written back.
#[repr(C)]
pub struct aster_iroh_addr_out {
    pub struct_size: u32,
    pub id: [u8; 32],
    pub relay_url: *mut u8,
    pub relay_cap: usize,
    pub relay_len: usize,
    pub addrs: *mut aster_iroh_sockaddr,
    pub addrs_cap: usize,
    pub addrs_len: usize,
}

/// Output of `aster_iroh_conn_path`: the selected path, the relay URL into a caller buffer.
#[repr(C)]
pub struct aster_iroh_path_out {
    pub struct_size: u32,
    pub kind: u32,
    pub addr: aster_iroh_sockaddr,
    pub rtt_us: u64,
    pub relay_url: *mut u8,
    pub relay_cap: usize,
    pub relay_len: usize,
}

// Layout pins; keep in sync with include/aster_iroh.h and tests/unit/bridge/abi_layout.c.
const _: () = assert!(size_of::<aster_iroh_bytes>() == 16);
const _: () = assert!(size_of::<aster_iroh_event>() == 72);
const _: () = assert!(offset_of!(aster_iroh_event, status) == 4);
const _: () = assert!(offset_of!(aster_iroh_event, op) == 8);
const _: () = assert!(offset_of!(aster_iroh_event, user_data) == 16);
const _: () = assert!(offset_of!(aster_iroh_event, h1) == 24);
const _: () = assert!(offset_of!(aster_iroh_event, h2) == 32);
const _: () = assert!(offset_of!(aster_iroh_event, code) == 40);
const _: () = assert!(offset_of!(aster_iroh_event, data) == 48);
const _: () = assert!(offset_of!(aster_iroh_event, len) == 56);
const _: () = assert!(offset_of!(aster_iroh_event, lease) == 64);
const _: () = assert!(size_of::<aster_iroh_runtime_cfg>() == 20);
const _: () = assert!(offset_of!(aster_iroh_runtime_cfg, spin_us) == RUNTIME_CFG_V1_SIZE);
const _: () = assert!(size_of::<aster_iroh_endpoint_cfg>() == 104);
const _: () = assert!(ENDPOINT_CFG_V5_SIZE == 88);
const _: () = assert!(offset_of!(aster_iroh_endpoint_cfg, relay_ca_roots_len) == 96);
const _: () = assert!(offset_of!(aster_iroh_endpoint_cfg, secret_key) == 8);
const _: () = assert!(offset_of!(aster_iroh_endpoint_cfg, relay_mode) == 40);
const _: () = assert!(offset_of!(aster_iroh_endpoint_cfg, max_bidi_streams) == 44);
const _: () = assert!(offset_of!(aster_iroh_endpoint_cfg, hook_timeout_ms) == 48);
const _: () = assert!(offset_of!(aster_iroh_endpoint_cfg, bind_v4) == 56);
const _: () = assert!(offset_of!(aster_iroh_endpoint_cfg, relay_url) == 64);
const _: () = assert!(offset_of!(aster_iroh_endpoint_cfg, alpns) == 72);
const _: () = assert!(offset_of!(aster_iroh_endpoint_cfg, alpns_len) == 80);
const _: () = assert!(size_of::<aster_iroh_sockaddr>() == 20);
const _: () = assert!(offset_of!(aster_iroh_sockaddr, port) == 16);
const _: () = assert!(offset_of!(aster_iroh_sockaddr, family) == 18);
const _: () = assert!(size_of::<aster_iroh_connect_cfg>() == 80);
const _: () = assert!(offset_of!(aster_iroh_connect_cfg, endpoint_id) == 8);
const _: () = assert!(offset_of!(aster_iroh_connect_cfg, relay_url) == 40);
const _: () = assert!(offset_of!(aster_iroh_connect_cfg, addrs) == 48);
const _: () = assert!(offset_of!(aster_iroh_connect_cfg, addrs_len) == 56);
const _: () = assert!(offset_of!(aster_iroh_connect_cfg, alpn) == 64);
const _: () = assert!(size_of::<aster_iroh_addr_out>() == 88);
const _: () = assert!(offset_of!(aster_iroh_addr_out, id) == 4);
const _: () = assert!(offset_of!(aster_iroh_addr_out, relay_url) == 40);
const _: () = assert!(offset_of!(aster_iroh_addr_out, addrs) == 64);
const _: () = assert!(offset_of!(aster_iroh_addr_out, addrs_len) == 80);
const _: () = assert!(size_of::<aster_iroh_path_out>() == 64);
const _: () = assert!(offset_of!(aster_iroh_path_out, kind) == 4);
const _: () = assert!(offset_of!(aster_iroh_path_out, addr) == 8);
const _: () = assert!(offset_of!(aster_iroh_path_out, rtt_us) == 32);
const _: () = assert!(offset_of!(aster_iroh_path_out, relay_url) == 40);
const _: () = assert!(offset_of!(aster_iroh_path_out, relay_len) == 56);
